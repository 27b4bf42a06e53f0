"""Retention: personal data older than RETENTION_DAYS (default 365, what the consent text promises: "at most 1
year") is removed by a job of the lease holder, every hour, and by `flask --app app purge`.

What "older" means is each table's own declaration (bot/privacy.py): a registration counts from its consent,
a message from when it was received, a person from when they were last seen; a form left idle is gone after
a day, a failed moderator log-in after a day. Votes of a poll closed before the cutoff keep their counts and
lose their voter keys. The job logs what it removed as counts per table, never what the rows said.

    flask --app app purge --dry-run    # what would go now, changes nothing
    flask --app app purge [--days N]   # remove it now (N: a shorter retention, for this run only)
"""
from __future__ import annotations

import logging
from datetime import datetime, timedelta

import click
from flask import current_app
from flask.cli import with_appcontext

from bot import audit
from bot.logs import event as log_event

log = logging.getLogger(__name__)


class RetentionJob:
    """A service of the lease holder (see BotRuntime.services): the purge, on the job queue."""

    every = 3600.0  # seconds between purges
    first_after = 60.0  # the first one, after a start (not during the rush of a restart)

    def __init__(self, runtime):
        self.runtime = runtime

    def start(self) -> None:
        jobs = self.runtime.jobs
        jobs.run_repeating(self.run, self.every, "retention:purge")
        jobs.run_once(self.run, datetime.now(jobs.timezone) + timedelta(seconds=self.first_after), "retention:first")

    def stop(self) -> None:
        for name in self.runtime.jobs.names("retention:"):
            self.runtime.jobs.remove(name)

    def run(self) -> dict[str, int]:
        return purge(self.runtime, by="job")


def purge(runtime, dry_run: bool = False, days: int | None = None, by: str = "cli") -> dict[str, int]:
    """Rows removed (or, dry run, that would be) per table; a real purge is logged as counts per table."""
    counts = runtime.privacy.purge({"main": runtime.store, "staging": runtime.staging}, dry_run=dry_run, days=days)
    if not dry_run:
        removed = {table: n for table, n in counts.items() if n}
        log_event(log, "retention.purged", logging.INFO if removed else logging.DEBUG, by=by,
                  days=runtime.settings.retention_days if days is None else days, removed=removed,
                  total=sum(removed.values()))
    return counts


@click.command("purge")
@click.option("--dry-run", is_flag=True, help="Show what would be removed; change nothing.")
@click.option("--days", type=click.IntRange(min=0), default=None,
              help="Remove what is older than this many days (default: RETENTION_DAYS).")
@with_appcontext
def purge_command(dry_run: bool, days: int | None) -> None:
    """Remove personal data older than the retention (RETENTION_DAYS), table by table."""
    bot = current_app.extensions["bot"]
    counts = purge(bot, dry_run=dry_run, days=days, by="cli")
    kept_days = bot.settings.retention_days if days is None else days
    verb = "would remove" if dry_run else "removed"
    click.echo(f"older than {kept_days} days (shorter where a table keeps less): {verb}")
    for table, n in sorted(counts.items()):
        click.echo(f"  {table:<18} {n:>8}")
    click.echo(f"  {'total':<18} {sum(counts.values()):>8}")
    if not dry_run:
        with bot.store.write() as conn:
            audit.record(conn, "cli", "purge", f"older than {kept_days} days: {sum(counts.values())} rows "
                         + ", ".join(f"{t} {n}" for t, n in sorted(counts.items()) if n))


def register(bot) -> None:
    bot.services.append(RetentionJob(bot))
    bot.commands.append(purge_command)
