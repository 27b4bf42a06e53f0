"""`flask --app app report`: the event's summary as an Excel workbook or a PDF, for a period of days in TIMEZONE
(bot/domain/reports/ builds it); audited, like every other export.
"""
from __future__ import annotations

import os
import sys
from datetime import datetime
from pathlib import Path

import click
from flask.cli import with_appcontext

from ..domain import audit
from ..domain.reports import FORMATS, build
from ..domain.reports.fonts import FontMissing
from ..web import runtime

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
    bot = runtime()
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
