"""Conversations handed to a person, for operators: `flask --app app handover list|release PSID`."""
from __future__ import annotations

import time

import click
from flask.cli import with_appcontext

from ..domain import audit, handover
from ..web import runtime


@click.group("handover")
def handover_command() -> None:
    """Conversations handed to a person."""


@handover_command.command("list")
@with_appcontext
def list_handovers() -> None:
    """Who is waiting for a person (the bot is quiet for them)."""
    bot = runtime()
    now = time.time()
    rows = handover.waiting(bot.store.conn, now)
    if not rows:
        click.echo("nobody is waiting for a person")
    for row in rows:
        waited = int((now - row["requested_at"]) // 60)
        click.echo(f"{row['psid']}  {row['first_name'] or '-'}  waiting {waited} min  (bot back by itself in "
                   f"{int((row['until'] - now) // 3600)} h)")


@handover_command.command("release")
@click.argument("psid")
@click.option("--by", default="cli", help="Who hands back (kept in the record).")
@with_appcontext
def release(psid: str, by: str) -> None:
    """Hand PSID's conversation back to the bot and tell them."""
    bot = runtime()
    with bot.store.write() as conn:
        released = handover.release(conn, bot.content.texts, psid, by)
        if released:
            audit.record(conn, by, "handover_release", psid, subject=bot.privacy.person_key(psid))
    if not released:
        raise click.ClickException(f"{psid} is not waiting for a person")
    click.echo(f"{psid} is back with the bot")
