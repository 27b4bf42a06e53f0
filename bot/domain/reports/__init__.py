"""Reports an agency can file: the event's summary as an Excel workbook and a PDF.

    model.py    the summary as typed data (registrations, broadcasts, polls, questions, opinion rounds, FAQ misses)
    labels.py   its words in Thai and English, from content/texts.toml
    gather.py   fills the model from the database for a period [start, end) in TIMEZONE
    layout.py   what each part shows (columns, rows, charts), once for both writers
    xlsx.py     the workbook (XlsxWriter): a sheet per part, native charts
    pdf.py      the PDF (fpdf2 with HarfBuzz shaping, a Thai font from fonts-thai-tlwg), charts drawn
    build.py    `build(bot, fmt, first_day, last_day)`: what `flask --app app report` (bot/cli/report.py) and the
                console call; the writers (fpdf2, XlsxWriter) are imported only then
"""
from __future__ import annotations

from .build import FORMATS, build
from .labels import REQUIRED

__all__ = ["FORMATS", "REQUIRED", "build"]
