"""The agenda and its reminders, for operators: `flask --app app agenda` and `flask --app app reminders`."""
from __future__ import annotations

from datetime import datetime

import click
from flask.cli import with_appcontext

from ..domain import reminders, subscriptions
from ..domain.agenda import Agenda, day_label
from ..web import runtime


@click.command("agenda")
@with_appcontext
def print_agenda() -> None:
    """Print the agenda, day by day, in TIMEZONE."""
    agenda = runtime().content["agenda"]
    if agenda.note:
        click.echo(agenda.note["en"])
    for day in agenda.days:
        click.echo(f"\n{day_label(day, 'en')} ({day_label(day, 'th')})")
        for s in agenda.on(day):
            click.echo(f"  {s.start:%H:%M}-{s.end:%H:%M}  {s.id:<20} topic {s.topic:<4} {s.title['en']}")


@click.command("reminders")
@with_appcontext
def pending_reminders() -> None:
    """The reminders still to be sent, with their times (TIMEZONE) and how many people follow each session."""
    bot = runtime()
    agenda: Agenda = bot.content["agenda"]
    now = datetime.now(agenda.tz)
    upcoming = [(at, s, m) for at, s, m in reminders.planned(agenda, bot.settings.reminder_offsets) if at >= now]
    if not upcoming:
        click.echo("no reminders pending: every session has started")
        return
    conn = bot.store.conn
    for at, session, minutes in upcoming:
        people = len(subscriptions.reminded_of(conn, session.id, session.topic))
        kind = f"{minutes:g} min before" if minutes else "live now"
        click.echo(f"{at:%Y-%m-%d %H:%M:%S}  {session.id:<20} {kind:<16} {people} subscriber(s)")
