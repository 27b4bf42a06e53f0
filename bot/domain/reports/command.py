"""`flask --app app report`: the event's summary as an Excel workbook or a PDF, for a period of days in TIMEZONE.

The console will offer the same through `build()`; both write an audit row, like every other export.
"""
from __future__ import annotations

import os
import sys
import time
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext

from bot import audit

from .fonts import FontMissing
from .gather import earliest_record, gather
from .labels import REQUIRED
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


def _write_file(path: Path, data: bytes) -> None:
    """Whole or not at all: a report cut short by a full disk is not left looking like a report."""
    partial = path.with_name(path.name + ".part")
    try:
        partial.write_bytes(data)
        os.replace(partial, path)
    except OSError as exc:
        partial.unlink(missing_ok=True)
        raise click.ClickException(f"cannot write {path}: {exc.strerror or exc}") from None


@click.command("report")
@click.option("--format", "fmt", type=click.Choice(list(FORMATS)), default="xlsx", show_default=True)
@click.option("--from", "first_day", type=click.DateTime(["%Y-%m-%d"]), default=None,
              help="First day (YYYY-MM-DD, TIMEZONE). Default: the day of the first registration, broadcast, poll or FAQ miss.")
@click.option("--to", "last_day", type=click.DateTime(["%Y-%m-%d"]), default=None,
              help="Last day, included (YYYY-MM-DD, TIMEZONE). Default: today.")
@click.option("--output", type=click.Path(dir_okay=False, writable=True, allow_dash=True), default=None,
              help="File to write; - for standard output. Default: opengov-report-FROM-TO.FORMAT here.")
@with_appcontext
def report_command(fmt: str, first_day: datetime | None, last_day: datetime | None, output: str | None) -> None:
    """The event's summary for agencies: registrations, broadcasts, polls, questions, opinion rounds, FAQ misses."""
    bot = current_app.extensions["bot"]
    try:
        built = build(bot, fmt, first_day.date() if first_day else None, last_day.date() if last_day else None)
    except FontMissing as exc:
        raise click.ClickException(str(exc)) from None
    except ValueError as exc:
        raise click.UsageError(str(exc)) from None
    target = output or built.filename
    if target == "-":
        sys.stdout.buffer.write(built.data)
        sys.stdout.flush()
    else:
        _write_file(Path(target), built.data)
    with bot.store.write() as conn:
        audit.record(conn, "cli", "report_export", built.audit_detail(fmt, target))
    if target != "-":
        click.echo(f"{built.report.period_label.en}: {fmt} report written to {target} ({len(built.data):,} bytes)",
                   err=True)


def register(bot) -> None:
    bot.content.require_texts(*REQUIRED)
    bot.commands.append(report_command)
