"""The PDF report's charts (bot/domain/reports/pdf.py), drawn with the PDF's own rectangles and text so that their
Thai labels are shaped like the rest of the page: bars (one row per category, stacked or side by side) and
columns (a count per day), with gridlines at round steps and a legend for several series.

`Charts` is part of the report's document class: it draws with the document's own text and style methods.
"""
from __future__ import annotations

import math
from datetime import date, datetime

from pythainlp.util import thai_strftime

from .layout import Column, Group, Table
from .pdf_text import INK, MUTED, RULE, SMALL_SIZE, cell_text


class Charts:
    def chart(self, table: Table, group: Group) -> None:
        spec = table.chart
        stop = min(group.stop, group.start + spec.limit) if spec.limit else group.stop
        rows = table.rows[group.start:stop]
        category = table.columns[spec.categories]
        labels = [cell_text(category.kind, r[spec.categories]).replace("\n", " ") for r in rows]
        series = [(table.columns[c], [r[c] or 0 for r in rows]) for c in spec.series]
        if spec.kind == "column":
            self.columns_chart([self.short_day(r[spec.categories]) for r in rows], series[0])
        else:
            self.bars_chart(labels, series, spec.stacked)
        if len(series) > 1:
            self.legend([c for c, _ in series])
        self.ln(2)

    @staticmethod
    def short_day(value) -> str:
        return thai_strftime(datetime(value.year, value.month, value.day), "%-d %b") if isinstance(value, date) else str(value)

    def bars_chart(self, labels: list[str], series: list[tuple[Column, list[int]]], stacked: bool) -> None:
        """Horizontal bars, one row per category, the value at the end of each bar. Several series are stacked
        (parts of one whole) or drawn side by side."""
        row_h, gap = (6.0, 1.4) if stacked or len(series) == 1 else (3.2 * len(series) + 1.6, 1.6)
        height = len(labels) * row_h + 2
        if self.will_page_break(height):
            self.add_page()
        self.style(SMALL_SIZE + 1)
        label_w = min(self.epw * 0.38, max(self.get_string_width(t) for t in labels) + 3)
        value_w = 16
        left, top = self.l_margin + label_w, self.get_y()
        plot_w = self.epw - label_w - value_w
        totals = [sum(v[i] for _, v in series) for i in range(len(labels))] if stacked else \
            [max(v[i] for _, v in series) for i in range(len(labels))]
        scale = plot_w / (max(totals) or 1)
        self.set_draw_color(RULE)
        self.line(left, top, left, top + height - 1)
        for i, label in enumerate(labels):
            y = top + i * row_h
            self.style(SMALL_SIZE + 1)
            self.set_xy(self.l_margin, y)
            self.cell(label_w - 2, row_h - gap + 0.4, self.fit(label, label_w - 3), align="R")
            x = left
            bar_h = (row_h - gap) if stacked or len(series) == 1 else (row_h - gap) / len(series)
            for n, (column, values) in enumerate(series):
                w = values[i] * scale
                by = y if stacked or len(series) == 1 else y + n * bar_h
                if w > 0:
                    self.set_fill_color(column.color)
                    self.rect(x, by, w, bar_h - (0 if stacked or len(series) == 1 else 0.4), style="F")
                if stacked:
                    x += w
                elif len(series) > 1:
                    self.value_at(left + w + 1, by, bar_h, values[i], SMALL_SIZE - 1)
            if stacked or len(series) == 1:
                self.value_at(x + 1 if stacked else left + series[0][1][i] * scale + 1, y, row_h - gap, totals[i],
                              SMALL_SIZE + 1)
        self.set_xy(self.l_margin, top + height)

    def value_at(self, x: float, y: float, h: float, value: int, size: float) -> None:
        self.style(size, INK)
        self.set_xy(x, y)
        self.cell(14, h + 0.4, f"{value:,}")

    def columns_chart(self, labels: list[str], series: tuple[Column, list[int]]) -> None:
        """Vertical bars over time (days), the value above each when they are few enough to read."""
        column, values = series
        plot_h, axis_w, label_h = 42.0, 10.0, 6.0
        if self.will_page_break(plot_h + label_h + 6):
            self.add_page()
        top = self.get_y() + 4
        left, width = self.l_margin + axis_w, self.epw - axis_w
        slot = min(width / max(len(values), 1), 14.0)  # a few days stay slim bars, not a wall
        peak = max(values) or 1
        step = _nice_step(peak)
        top_value = step * math.ceil(peak / step)
        self.set_draw_color(RULE)
        self.style(SMALL_SIZE - 1, MUTED)
        for tick in range(0, top_value + 1, step):
            y = top + plot_h - tick * plot_h / top_value
            self.line(left, y, left + width, y)
            self.set_xy(self.l_margin, y - 2)
            self.cell(axis_w - 1.5, 4, f"{tick:,}", align="R")
        every = max(1, math.ceil(len(values) / 14))  # at most 14 day labels under the axis
        self.set_fill_color(column.color)
        for i, value in enumerate(values):
            x = left + i * slot + slot * 0.15
            h = value * plot_h / top_value
            if h > 0:
                self.rect(x, top + plot_h - h, slot * 0.7, h, style="F")
            if len(values) <= 31 and value:
                self.style(SMALL_SIZE - 1, INK)
                self.set_xy(left + i * slot, top + plot_h - h - 4.2)
                self.cell(slot, 4, f"{value:,}", align="C")
            if i % every == 0:
                self.style(SMALL_SIZE - 1, MUTED)
                self.set_xy(left + i * slot - slot * (every - 1) / 2, top + plot_h + 0.8)
                self.cell(slot * every, label_h - 1, self.fit(labels[i], slot * every), align="C")
        self.set_xy(self.l_margin, top + plot_h + label_h)

    def legend(self, columns: list[Column]) -> None:
        self.style(SMALL_SIZE, INK)
        x, y = self.l_margin, self.get_y() + 1
        for c in columns:
            text = str(c.header).replace("\n", " ")
            self.set_fill_color(c.color)
            self.rect(x, y + 1, 3, 3, style="F")
            self.set_xy(x + 4, y)
            self.cell(self.get_string_width(text) + 1, 5, text)
            x += self.get_string_width(text) + 10
            if x > self.w - self.r_margin - 40:
                x, y = self.l_margin, y + 5
        self.set_xy(self.l_margin, y + 6)


def _nice_step(peak: int) -> int:
    """A round gridline step (1, 2, 5, 10, 20, 50...) giving at most about five lines up to `peak`."""
    step = 1
    while peak / step > 5:
        for factor in (2, 2.5, 2):
            step = int(step * factor)
            if peak / step <= 5:
                break
    return step
