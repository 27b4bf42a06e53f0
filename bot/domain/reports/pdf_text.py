"""How the PDF report writes text (bot/domain/reports/pdf.py): its colours and sizes, where a line may break in
Thai (between the words PyThaiNLP finds, never inside a syllable), and values as a Thai reader reads them in a cell.
"""
from __future__ import annotations

from datetime import date, datetime

import regex
from pythainlp.tokenize import word_tokenize
from pythainlp.util import thai_strftime

from .layout import DATE, INT, SHARE, TIME

FONT = "thai"
INK, MUTED, RULE, HEADER_FILL = "#1A1A1A", "#5F6368", "#C8CDD2", "#DCE6F2"
GRAPHEME = regex.compile(r"\X")
THAI = regex.compile(r"\p{Thai}")
WHITESPACE = regex.compile(r"(\s+)")
WORD_START = regex.compile(r"[\p{L}\p{N}]|[([{\"'“‘]")
OPENING = "([{\"'“‘"
BODY_SIZE, TABLE_SIZE, SMALL_SIZE = 13, 11, 10  # points: Laksaman, like TH Sarabun, is set larger than Latin faces
CELL_PADDING = 1.5  # mm left and right inside a table cell
KEEP_WITH_HEADING = 45  # mm: a heading with less room than this below it starts a new page


def break_units(text: str) -> list[str]:
    """The pieces a line may break between: words as spaces separate them, Thai runs further split into the words
    PyThaiNLP finds; punctuation stays with its word ("(คน)", "No.", "นักเรียน/" + "นักศึกษา"). Spaces are
    pieces of their own."""
    units: list[str] = []
    for piece in WHITESPACE.split(text):
        if not piece:
            continue
        for part in word_tokenize(piece) if THAI.search(piece) else [piece]:
            glue = units and not units[-1].isspace() and not part.isspace() and (
                units[-1][-1] in OPENING or not WORD_START.match(part))
            if glue:
                units[-1] += part
            else:
                units.append(part)
    return units


def cell_text(kind: str, value) -> str:
    """A value as a Thai reader reads it in a table cell."""
    if value is None or value == "":
        return ""
    if kind == INT:
        return f"{value:,}"
    if kind == SHARE:
        return f"{value:.1%}"
    if kind == DATE and isinstance(value, date):
        return thai_strftime(datetime(value.year, value.month, value.day), "%-d %b %Y")
    if kind == TIME and isinstance(value, datetime):
        return thai_strftime(value, "%-d %b %Y %H:%M")
    return str(value)
