"""Personal data past its time, for operators: `flask --app app purge [--dry-run] [--days N]` (the lease holder runs
the same every hour: schedules/retention.py)."""
from __future__ import annotations

import click
from flask.cli import with_appcontext

from ..domain import audit
from ..web import runtime


@click.command("purge")
@click.option("--dry-run", is_flag=True, help="Show what would be removed; change nothing.")
@click.option("--days", type=click.IntRange(min=0), default=None,
              help="Remove what is older than this many days (default: RETENTION_DAYS).")
@with_appcontext
def purge_command(dry_run: bool, days: int | None) -> None:
    """Remove personal data older than the retention (RETENTION_DAYS), table by table."""
    bot = runtime()
    counts = bot.purge(dry_run=dry_run, days=days, by="cli")
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
