"""The report as an Excel workbook: one sheet per part, header rows frozen, columns as wide as their Thai text,
and a native Excel chart beside each table (one per poll).

Written with XlsxWriter: it writes every cell with the type we give it and has the most complete support for
native charts (an agency can restyle or copy them in Excel, where a picture would be frozen). Text a person
typed (a team name, a FAQ question, a poll option) is written with `write_string`, and the workbook is opened
with `strings_to_formulas` off: a team called `=HYPERLINK(...)` is a text cell, never a formula, so it needs no
apostrophe either (bot/csv_export.py does that for CSV, where cells have no types).
"""
from __future__ import annotations

import io
import math
import re
import unicodedata
from datetime import date, datetime

import regex
import xlsxwriter

from .layout import DATE, INT, LONG, SHARE, TIME, Table, tables
from .model import EventReport, Label

HEADER_ROW = 6  # 0-based: rows 0-5 say what the sheet is and for which period; the data start below it
MIN_WIDTH, MAX_WIDTH, LONG_WIDTH = 6, 40, 60  # column widths, in characters
LINE_HEIGHT = 16  # points a line of text takes in a row: room for Thai marks above and below
CHART_WIDTH, CHART_MIN_HEIGHT, BAR_HEIGHT = 640, 260, 22  # pixels
SHEET_NAME_UNSAFE = re.compile(r"[\[\]:*?/\\]")
GRAPHEME = regex.compile(r"\X")


def display_width(text: str) -> int:
    """How many character cells `text` takes: one per grapheme cluster (a Thai consonant with its vowel and tone
    marks above or below is one), two for wide ones (emoji, CJK). `len()` would count ที่ as three."""
    return sum(2 if unicodedata.east_asian_width(g[0]) in "WF" else 1 for g in GRAPHEME.findall(text))


def sheet_name(label: Label, taken: set[str]) -> str:
    """"บทบาท Roles": Thai first; at most 31 characters without []:*?/\\ (Excel's rules), unique."""
    base = SHEET_NAME_UNSAFE.sub(" ", str(label) if label.th == label.en else f"{label.th} {label.en}").strip("' ")
    name, n = base[:31], 2
    while name.casefold() in taken:
        suffix = f" {n}"
        name, n = base[:31 - len(suffix)] + suffix, n + 1
    taken.add(name.casefold())
    return name


def write_xlsx(report: EventReport) -> bytes:
    """The whole workbook, as bytes."""
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True, "strings_to_formulas": False, "strings_to_urls": False,
                                        "strings_to_numbers": False})
    book.set_properties({"title": f"{report.label('title')} · {report.event}", "subject": str(report.period_label),
                         "author": report.organiser.en, "company": report.organiser.th,
                         "created": report.generated_at.replace(tzinfo=None)})
    styles = _styles(book)
    taken: set[str] = set()
    for table in tables(report):
        _write_table(book, book.add_worksheet(sheet_name(table.sheet, taken)), table, report, styles)
    book.close()
    return buffer.getvalue()


def _styles(book) -> dict:
    add = book.add_format
    return {
        "title": add({"bold": True, "font_size": 14}),
        "subtitle": add({"font_size": 11, "font_color": "#555555"}),
        "note": add({"italic": True, "font_color": "#555555"}),
        "header": add({"bold": True, "text_wrap": True, "valign": "top", "bg_color": "#DCE6F2", "bottom": 1}),
        "text": add({"valign": "top"}),
        LONG: add({"valign": "top", "text_wrap": True}),
        INT: add({"valign": "top", "num_format": "#,##0"}),
        SHARE: add({"valign": "top", "num_format": "0.0%"}),
        DATE: add({"valign": "top", "num_format": "yyyy-mm-dd"}),
        TIME: add({"valign": "top", "num_format": "yyyy-mm-dd hh:mm"}),
    }


def _write_table(book, sheet, table: Table, report: EventReport, styles: dict) -> None:
    sheet.hide_gridlines(2)
    lines = [(table.heading.th, "title"), (table.heading.en, "subtitle"),
             (f"{report.event.th} · {report.period_label.th}", "subtitle"),
             (f"{report.event.en} · {report.period_label.en}", "subtitle"),
             (f"{report.generated_label.th} / {report.generated_label.en}", "note"),
             (str(table.note) if table.note else "", "note")]
    for row, (text, style) in enumerate(lines):
        if text:
            sheet.write_string(row, 0, text, styles[style])
    headers = [c.header.th if c.header.th == c.header.en else f"{c.header.th}\n{c.header.en}" for c in table.columns]
    widths = _column_widths(table, headers)
    for c, width in enumerate(widths):
        sheet.set_column(c, c, width)
        sheet.write_string(HEADER_ROW, c, headers[c], styles["header"])
    sheet.set_row(HEADER_ROW, LINE_HEIGHT * max(h.count("\n") + 1 for h in headers) + 4)
    for r, values in enumerate(table.rows, HEADER_ROW + 1):
        lines = max(_write_cell(sheet, r, c, column.kind, value, styles, widths[c])
                    for c, (column, value) in enumerate(zip(table.columns, values)))
        if lines > 1:  # wrapped text: Excel and LibreOffice do not grow a row for it by themselves
            sheet.set_row(r, LINE_HEIGHT * lines + 2)
    if not table.rows:
        sheet.write_string(HEADER_ROW + 1, 0, str(report.label("no_data")), styles["note"])
    sheet.freeze_panes(HEADER_ROW + 1, 0)
    if table.rows:
        sheet.autofilter(HEADER_ROW, 0, HEADER_ROW + len(table.rows), len(table.columns) - 1)
    # Printed on A4, landscape, as wide as one page, the header row repeated on every page.
    sheet.set_paper(9)
    sheet.set_landscape()
    sheet.fit_to_pages(1, 0)
    sheet.repeat_rows(HEADER_ROW)
    _add_charts(book, sheet, table)


def _column_widths(table: Table, headers: list[str]) -> list[int]:
    """Characters per column: the widest header line or value, within MIN_WIDTH and MAX_WIDTH (LONG_WIDTH for
    long texts, which wrap); measured in grapheme clusters, so Thai columns are as wide as they read."""
    widths = []
    for c, column in enumerate(table.columns):
        need = max(display_width(line) for line in headers[c].split("\n"))
        for values in table.rows:
            need = max(need, _value_width(column.kind, values[c]))
        widths.append(min(max(need + 2, MIN_WIDTH), LONG_WIDTH if column.kind == LONG else MAX_WIDTH))
    return widths


def _value_width(kind: str, value) -> int:
    if value is None or value == "":
        return 0
    if kind == INT:
        return len(f"{value:,}")
    if kind in (SHARE, DATE, TIME):
        return {SHARE: 6, DATE: 10, TIME: 16}[kind]
    return max(display_width(line) for line in str(value).split("\n"))


def _write_cell(sheet, row: int, col: int, kind: str, value, styles: dict, width: int) -> int:
    """Write one value with its own type (text is always text); returns how many lines it takes at `width`."""
    if value is None or value == "":
        sheet.write_blank(row, col, None, styles["text"])
    elif kind in (INT, SHARE):
        sheet.write_number(row, col, value, styles[kind])
    elif kind in (DATE, TIME) and isinstance(value, (date, datetime)):
        sheet.write_datetime(row, col, value, styles[kind])
    else:
        text = str(value)
        lines = sum(max(1, math.ceil(display_width(line) / max(width - 1, 1))) for line in text.split("\n"))
        sheet.write_string(row, col, text, styles[LONG] if lines > 1 or kind == LONG else styles["text"])
        return lines
    return 1


def _add_charts(book, sheet, table: Table) -> None:
    spec = table.chart
    if spec is None or not table.rows:
        return
    anchor_row, anchor_col = HEADER_ROW, len(table.columns) + 1
    for group in table.chart_groups():
        stop = min(group.stop, group.start + spec.limit) if spec.limit else group.stop
        if stop <= group.start:
            continue
        first, last = HEADER_ROW + 1 + group.start, HEADER_ROW + stop
        chart = book.add_chart({"type": spec.kind, **({"subtype": "stacked"} if spec.stacked else {})})
        for c in spec.series:
            column = table.columns[c]
            chart.add_series({
                "name": str(column.header),
                "categories": [sheet.name, first, spec.categories, last, spec.categories],
                "values": [sheet.name, first, c, last, c],
                "fill": {"color": column.color}, "border": {"none": True}, "gap": 60,
                **({} if spec.stacked else {"data_labels": {"value": True}}),
            })
        chart.set_title({"name": str(group.title), "name_font": {"size": 12}})
        if len(spec.series) == 1:
            chart.set_legend({"none": True})
        else:
            chart.set_legend({"position": "bottom"})
        value_axis = {"major_gridlines": {"visible": True, "line": {"color": "#DDDDDD"}}, "num_format": "#,##0"}
        if spec.kind == "bar":  # bars top-down in the table's order, the value axis below them
            chart.set_y_axis({"reverse": True, "crossing": "max"})
            chart.set_x_axis(value_axis)
        else:
            chart.set_y_axis(value_axis)
        rows = stop - group.start
        height = max(CHART_MIN_HEIGHT, 90 + rows * BAR_HEIGHT) if spec.kind == "bar" else 320
        chart.set_size({"width": CHART_WIDTH, "height": height})
        sheet.insert_chart(anchor_row, anchor_col, chart, {"object_position": 1})
        anchor_row += height // 20 + 2  # default rows are 20 px high
