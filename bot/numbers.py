"""Numbers that come from outside, range-checked before they reach the database.

A quick-reply payload, a URL path, a query string or a command-line argument can carry any digits at all:
`VOTE:999999999999999999999999999999999999:1` parses as a Python int, and SQLite then raises OverflowError
("Python int too large to convert to SQLite INTEGER") in the middle of a conversation. Every such number is
checked here first, so that it gets a polite reply, a 404 or a usage error, never an exception.

- `row_id(text)`: a database id from a payload or a typed command, or None;
- `BoundedIntConverter`: Flask's `<int:...>` in every route, with SQLite's range (a larger number is a 404);
- `ROW_ID`: the click parameter type of ids on the command line.
"""
from __future__ import annotations

import click
from werkzeug.routing import IntegerConverter

ROW_ID_MAX = 2**63 - 1  # SQLite's INTEGER is a signed 64-bit number
_THAI_DIGITS = str.maketrans("๐๑๒๓๔๕๖๗๘๙", "0123456789")  # "/poll open ๑๒" is typed on Thai keyboards


def row_id(text: str) -> int | None:
    """`text` as a database id (digits, Thai digits too, 1 to ROW_ID_MAX), or None."""
    text = text.strip().translate(_THAI_DIGITS)
    if not (text.isascii() and text.isdigit()) or len(text) > 19:
        return None
    value = int(text)
    return value if 1 <= value <= ROW_ID_MAX else None


def small_int(text: str, low: int, high: int) -> int | None:
    """`text` as a whole number from `low` to `high` (digits, Thai digits too, an optional minus), or None."""
    text = text.strip().translate(_THAI_DIGITS)
    digits = text[1:] if text.startswith("-") else text
    if not (digits.isascii() and digits.isdigit()) or len(digits) > 19:
        return None
    value = int(text)
    return value if low <= value <= high else None


class BoundedIntConverter(IntegerConverter):
    """`<int:...>` limited to what SQLite can hold: a larger number in a URL does not match, so it is a 404."""

    def __init__(self, map, fixed_digits=0, min=None, max=ROW_ID_MAX, signed=False):  # noqa: A002 (werkzeug's names)
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=max, signed=signed)


ROW_ID = click.IntRange(1, ROW_ID_MAX)
