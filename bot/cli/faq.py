"""The questions the bot could not answer, for operators: `flask --app app faq-misses` (the console's misses page
is where they are taught)."""
from __future__ import annotations

import click
from flask.cli import with_appcontext

from ..domain import faq_misses
from ..web import runtime


@click.command("faq-misses")
@click.option("--days", default=7, show_default=True, type=click.IntRange(1, 36500), help="Look back this many days.")
@click.option("--limit", default=20, show_default=True, type=click.IntRange(1, 100_000))
@with_appcontext
def faq_misses_command(days: int, limit: int) -> None:
    """The questions the bot could not answer (or was unsure of), most frequent first."""
    bot = runtime()
    rows = faq_misses.frequent(bot.store.conn, days, limit)
    if not rows:
        click.echo(f"no unanswered questions in the last {days} days")
        return
    click.echo(f"{'times':>5}  {'outcome':<12} {'best guess':<14} question")
    for row in rows:
        guess = f"{row['guess']} {row['score']:.2f}" if row["guess"] else "-"
        click.echo(f"{row['n']:>5}  {row['outcomes']:<12} {guess:<14} {row['example']}")
