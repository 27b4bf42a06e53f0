"""Building a report: the model gathered for a period of days, written by one of the writers.

`build(bot, fmt, first_day, last_day)` is what `flask --app app report` (bot/cli/report.py), and the console
later, call; the writers (fpdf2, XlsxWriter) are imported only then.
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import date, datetime

from .gather import earliest_record, gather
from .model import EventReport, Period

FORMATS = {  # format: media type
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "pdf": "application/pdf",
}


def writer(fmt: str):
    """The writer of `fmt`, imported only when a report is made: fpdf2 and XlsxWriter would add about 0.4 s to
    the start of every web worker and operator command."""
    if fmt == "pdf":
        from .pdf import write_pdf
        return write_pdf
    from .xlsx import write_xlsx
    return write_xlsx


@dataclass(frozen=True)
class Built:
    report: EventReport
    data: bytes
    filename: str  # a name to save it under: opengov-report-20200717-20200725.pdf
    media_type: str

    def audit_detail(self, fmt: str, target: str) -> str:
        r, p = self.report, self.report.period
        return (f"{fmt} {p.first_day}..{p.last_day}: {r.registrations.total} registrations, {len(r.broadcasts)} "
                f"broadcasts, {len(r.polls)} polls, {r.faq_miss_total} FAQ misses -> {target}")


def build(bot, fmt: str, first_day: date | None = None, last_day: date | None = None,
          now: float | None = None) -> Built:
    """The report of the days `first_day` to `last_day` (both included, in TIMEZONE) as `fmt` ("xlsx", "pdf").

    Without `last_day`: up to today. Without `first_day`: from the day of the first registration, broadcast,
    poll or FAQ miss (today when there is none). Raises ValueError for a period that ends before it starts,
    fonts.FontMissing for a PDF on a machine without a Thai font."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown report format {fmt!r}: use {' or '.join(FORMATS)}")
    tz, conn = bot.settings.tz, bot.store.conn
    now = time.time() if now is None else now
    last_day = last_day or datetime.fromtimestamp(now, tz).date()
    if first_day is None:
        earliest = earliest_record(conn)
        first_day = min(datetime.fromtimestamp(earliest, tz).date(), last_day) if earliest else last_day
    period = Period.days(first_day, last_day, tz)
    content = bot.content.loaded()
    report = gather(conn, bot.content.texts, period, agenda=content.get("agenda"), faq=content.get("understanding"), now=now)
    return Built(report, writer(fmt)(report), f"opengov-report-{first_day:%Y%m%d}-{last_day:%Y%m%d}.{fmt}",
                 FORMATS[fmt])
