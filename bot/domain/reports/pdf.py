"""The report as a PDF an agency can file: A4, Thai first then English, page numbers, a chart beside each table.

fpdf2 writes it, with text shaping through HarfBuzz (uharfbuzz): Thai tone marks and vowels above and below a
consonant are placed by the font's own OpenType rules, so "ผู้ใช้" and "ปี่" print as a Thai reader writes them
and the text extracts as the same string (search and copy work). The font is Laksaman from Debian's
fonts-thai-tlwg (`fonts.py`).

Shaping draws the glyphs where the font wants them, which no longer maps one glyph to one character: sara am
becomes two glyphs, a raised tone mark sits on its own baseline, and text extractors (pdftotext, copy and paste,
screen readers) return "ครัง้" or "สำ นัก". Every line with Thai is therefore marked with its text as written, as
PDF's replacement text (`/ActualText`, ISO 32000-1 §14.9.4), which extractors read instead of the glyphs.

Charts are drawn with the PDF's own rectangles and text rather than pictures from a charting library: the labels
on the bars then go through the same shaping as the rest of the page (matplotlib's own text layout does not
shape Thai), stay sharp at any zoom, are searchable, and the report needs no plotting stack.

Thai has no spaces between words, so text too long for its line is broken here, between the words PyThaiNLP's
segmenter finds (never inside a syllable, never between a consonant and its marks), and handed to fpdf2 as
lines that fit. Nothing invisible is added to the text: it extracts as it was written.
"""
from __future__ import annotations

from collections import defaultdict

from fpdf import FPDF, FontFace

from .fonts import Fonts, report_fonts
from .pdf_charts import Charts
from .pdf_text import (BODY_SIZE, CELL_PADDING, FONT, GRAPHEME, HEADER_FILL, INK, KEEP_WITH_HEADING, MUTED, RULE,
                       SMALL_SIZE, TABLE_SIZE, THAI, break_units, cell_text)
from .layout import INT, SHARE, Column, Table, tables
from .model import EventReport, Label

class ReportDocument(Charts, FPDF):
    def __init__(self, report: EventReport, fonts: Fonts, pages: int | None = None):
        super().__init__(orientation="portrait", unit="mm", format="A4")
        self.report = report
        self.total_pages = pages  # known on the second pass (fpdf2's {nb} alias does not survive text shaping)
        self.set_margins(15, 16, 15)
        self.set_auto_page_break(True, margin=16)
        self.add_font(FONT, "", str(fonts.regular))
        self.add_font(FONT, "B", str(fonts.bold))
        names = []
        for n, (_, path) in enumerate(fonts.fallbacks):
            names.append(f"fallback{n}")
            self.add_font(names[-1], "", str(path))
        self.set_fallback_fonts(names, exact_match=False)
        # The script is given, not guessed per line: a line that starts in English ("Page 1 ·") keeps its Thai
        # marks in place too. Latin text is unaffected.
        self.set_text_shaping(use_shaping_engine=True, script="thai", language="tha")
        self.set_title(f"{report.label('title').th} {report.event.th}")
        self.set_author(report.organiser.en)
        self.set_subject(str(report.period_label))
        self.set_creation_date(report.generated_at)

    def _render_styled_text_line(self, text_line, h=None, *args, **kwargs):
        """fpdf2 draws every line of text (cell, multi_cell, table) here: a line with Thai is wrapped in a marked
        content span whose /ActualText is the line as written (see the module docstring)."""
        text = "".join(fragment.string for fragment in text_line.fragments)
        if not THAI.search(text):
            return super()._render_styled_text_line(text_line, h, *args, **kwargs)
        # A page break inside would split the span across two pages' content: break first, as fpdf2 would.
        height = h if h is not None else max((f.font_size for f in text_line.fragments), default=self.font_size)
        broke = self._perform_page_break_if_need_be(height)
        self._out(f"/Span <</ActualText <FEFF{text.encode('utf-16-be').hex().upper()}>>> BDC")
        try:
            return super()._render_styled_text_line(text_line, h, *args, **kwargs) or broke
        finally:
            self._out("EMC")

    def close_fonts(self) -> None:
        """fpdf2 reads the font files lazily and leaves them open: close them once the document is out."""
        for font in self.fonts.values():
            if getattr(font, "ttfont", None) is not None:
                font.ttfont.close()

    # -- every page ---------------------------------------------------------------------------------------------
    def header(self) -> None:
        if self.page_no() == 1:
            return
        self.style(SMALL_SIZE, MUTED)
        self.cell(0, 5, self.fit(f"{self.report.event.th} · {self.report.period_label.th}", self.epw),
                  new_x="LMARGIN", new_y="NEXT")
        self.set_draw_color(RULE)
        self.line(self.l_margin, self.get_y() + 1, self.w - self.r_margin, self.get_y() + 1)
        self.ln(4)

    def footer(self) -> None:
        self.set_y(-12)
        self.style(SMALL_SIZE, MUTED)
        texts = self.report.label("page")  # "หน้า {page} จาก {pages}" from the content
        pages = defaultdict(str, page=str(self.page_no()), pages=str(self.total_pages or ""))
        self.cell(0, 5, f"{texts.th.format_map(pages)}  ·  {texts.en.format_map(pages)}", align="C")

    # -- text -------------------------------------------------------------------------------------------------
    def style(self, size: float, color: str = INK, bold: bool = False) -> None:
        self.set_font(FONT, "B" if bold else "", size)
        self.set_text_color(color)

    def line_of(self, text: str, size: float, color: str = INK, bold: bool = False, height: float | None = None):
        self.style(size, color, bold)
        self.multi_cell(0, height or size * 0.5, self.wrap(text, self.epw - 2 * self.c_margin - 0.5),
                        new_x="LMARGIN", new_y="NEXT")

    def wrap(self, text: str, width: float) -> str:
        """`text` in lines that each fit `width` mm in the current font, broken between words (Thai words as
        PyThaiNLP segments them); a word longer than a line is broken between grapheme clusters."""
        lines: list[str] = []
        for paragraph in text.split("\n"):
            if self.get_string_width(paragraph) <= width:
                lines.append(paragraph)
                continue
            line = ""
            for word in break_units(paragraph):
                if self.get_string_width((line + word).rstrip()) <= width:
                    line += word
                    continue
                if line.strip():
                    lines.append(line.rstrip())
                line = word.lstrip()
                while self.get_string_width(line) > width:  # one word wider than the line
                    head = self.fit(line, width, ellipsis="")
                    lines.append(head)
                    line = line[len(head):]
            lines.append(line.rstrip())
        return "\n".join(lines)

    def fit(self, text: str, width: float, ellipsis: str = "…") -> str:
        """`text` shortened (with `ellipsis`) between whole grapheme clusters (never between a consonant and its
        marks) until it fits `width` mm in the current font; at least one cluster is kept."""
        if self.get_string_width(text) <= width:
            return text
        clusters = GRAPHEME.findall(text)
        while len(clusters) > 1 and self.get_string_width("".join(clusters) + ellipsis) > width:
            clusters.pop()
        return "".join(clusters).rstrip() + ellipsis

    def heading(self, label: Label, note: Label | None = None) -> None:
        if self.will_page_break(KEEP_WITH_HEADING):
            self.add_page()
        self.ln(3)
        self.line_of(label.th, 18, bold=True, height=8)
        self.line_of(label.en, 12, MUTED, height=6)
        if note is not None:
            self.line_of(f"{note.th} / {note.en}", SMALL_SIZE, MUTED, height=5)
        self.ln(2)

    # -- the document ---------------------------------------------------------------------------------------------
    def cover(self) -> None:
        r = self.report
        title = r.label("title")
        self.line_of(title.th, 26, bold=True, height=12)
        self.line_of(title.en, 15, MUTED, height=8)
        self.ln(4)
        self.line_of(r.event.th, 17, bold=True, height=8)
        self.line_of(r.event.en, 12, MUTED, height=6)
        self.line_of(r.organiser.th, BODY_SIZE, height=6)
        self.line_of(r.organiser.en, SMALL_SIZE + 1, MUTED, height=5)
        self.ln(3)
        self.line_of(r.period_label.th, 14, bold=True, height=7)
        self.line_of(r.period_label.en, 11, MUTED, height=5.5)
        self.line_of(f"{r.generated_label.th} / {r.generated_label.en}", SMALL_SIZE, MUTED, height=5)
        self.ln(2)

    def part(self, table: Table) -> None:
        self.heading(table.heading, table.note)
        if not table.rows:
            self.line_of(str(self.report.label("no_data")), BODY_SIZE, MUTED, height=7)
            self.ln(4)
            return
        for group in table.chart_groups():
            rows = table.rows[group.start:group.stop]
            if table.groups:
                # A group (a poll) on one page when it fits on one: its title, chart and rows, roughly measured.
                height = 16 + len(rows) * (6.0 + 7.5) + 14
                if self.will_page_break(min(height, KEEP_WITH_HEADING + 100)):
                    self.add_page()
                self.line_of(group.title.th, 14, bold=True, height=7)
                if group.title.en != group.title.th:
                    self.line_of(group.title.en, SMALL_SIZE + 1, MUTED, height=5)
            if table.chart is not None:
                self.chart(table, group)
            self.grid(table.columns, rows)
            self.ln(3)

    def grid(self, columns: tuple[Column, ...], rows) -> None:
        shown = [(i, c) for i, c in enumerate(columns) if c.pdf > 0]
        headers = [c.header.th if c.header.th == c.header.en else f"{c.header.th}\n{c.header.en}" for _, c in shown]
        cells = [[cell_text(c.kind, values[i]) for i, c in shown] for values in rows]
        widths = self.column_widths([c for _, c in shown], headers, cells)
        self.set_draw_color(RULE)
        self.set_fill_color("#FFFFFF")  # the table starts from the current colours: not a chart's
        self.style(TABLE_SIZE)
        with self.table(width=self.epw, col_widths=widths, line_height=TABLE_SIZE * 0.45, padding=(1, CELL_PADDING),
                        text_align=["RIGHT" if c.kind in (INT, SHARE) else "LEFT" for _, c in shown],
                        borders_layout="HORIZONTAL_LINES", v_align="TOP", repeat_headings=1,
                        headings_style=FontFace(emphasis="BOLD", fill_color=HEADER_FILL, color=INK)) as grid:
            self.style(TABLE_SIZE, bold=True)
            head = grid.row()
            for header, width in zip(headers, widths):
                head.cell(self.wrap(header, width - 2 * CELL_PADDING - 0.5))
            self.style(TABLE_SIZE)
            for values in cells:
                row = grid.row()
                for text, width in zip(values, widths):
                    row.cell(self.wrap(text, width - 2 * CELL_PADDING - 0.5))

    def widest_unit(self, text: str) -> float:
        """The width of the widest piece of `text` a line cannot break inside (see `break_units`)."""
        return max((self.get_string_width(u) for u in break_units(text.replace("\n", " ")) if not u.isspace()),
                   default=0.0)

    def column_widths(self, columns: list[Column], headers: list[str], cells: list[list[str]]) -> list[float]:
        """mm per column: the page shared by `Column.pdf` weights, except that no column is narrower than the
        longest word of its header or cells (at most 30 % of the page): such a column gets what it needs and the
        others share the rest, again by weight."""
        self.style(TABLE_SIZE, bold=True)
        need = [self.widest_unit(header) for header in headers]
        self.style(TABLE_SIZE)
        for n in range(len(columns)):
            need[n] = min(max([need[n]] + [self.widest_unit(row[n]) for row in cells]), self.epw * 0.3)
        need = [w + 2 * CELL_PADDING + 1 for w in need]
        fixed: dict[int, float] = {}
        while True:
            free = [n for n in range(len(columns)) if n not in fixed]
            room = self.epw - sum(fixed.values())
            weight = sum(columns[n].pdf for n in free)
            widths = {n: room * columns[n].pdf / weight if room > 0 else need[n] for n in free}
            narrow = [n for n in free if widths[n] < need[n]]
            if not narrow:
                break
            fixed.update((n, need[n]) for n in narrow)
        widths.update(fixed)
        total = sum(widths.values())
        return [widths[n] * min(1.0, self.epw / total) for n in range(len(columns))]


def write_pdf(report: EventReport, fonts: Fonts | None = None) -> bytes:
    """The whole PDF, as bytes. Raises fonts.FontMissing when no Thai font is installed.

    Laid out twice: the first pass counts the pages that "page 1 of N" names on the second."""
    fonts = fonts or report_fonts()
    first = _render(report, fonts)
    first.close_fonts()
    final = _render(report, fonts, first.pages_count)
    try:
        return bytes(final.output())
    finally:
        final.close_fonts()


def _render(report: EventReport, fonts: Fonts, pages: int | None = None) -> ReportDocument:
    doc = ReportDocument(report, fonts, pages)
    doc.add_page()
    doc.cover()
    parts = tables(report)
    doc.grid(parts[0].columns, parts[0].rows)  # the summary's figures, on the cover
    for table in parts[1:]:
        doc.part(table)
    return doc
