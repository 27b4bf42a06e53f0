"""Polls for the live streams, for operators: `flask --app app poll create|open|close|results|list` (the console
and "/poll ..." in Messenger do the same; bot/domain/polls.py is where it happens)."""
from __future__ import annotations

import json

import click
from flask.cli import with_appcontext

from ..domain import audit, polls
from ..numbers import ROW_ID
from ..web import runtime


@click.group("poll")
def poll_command() -> None:
    """Polls for the live streams."""


@poll_command.command("create")
@click.option("--question", required=True, help='The question: "ไทย | English" (or one text for both).')
@click.option("--option", "options", multiple=True, required=True, help="An option (2 to 10), same format.")
@click.option("--session", "session_id", default=None, help="The agenda session it belongs to.")
@click.option("--video-id", default=None, help="The live video whose comments count as votes.")
@click.option("--no-change", is_flag=True, help="A vote cannot be changed once cast.")
@click.option("--close-after", type=click.FloatRange(min=0.01, max=polls.CLOSE_AFTER_MAX), default=None, help="Close by itself N minutes after opening.")
@with_appcontext
def create_poll(question, options, session_id, video_id, no_change, close_after) -> None:
    bot = runtime()
    try:
        with bot.store.write() as conn:
            poll_id = polls.create(conn, polls.bilingual_text(question), [polls.bilingual_text(o) for o in options],
                                   session_id=session_id, video_id=video_id, allow_change=not no_change,
                                   close_after_minutes=close_after)
            audit.record(conn, "cli", "poll_create", f"#{poll_id} {question[:100]}")
    except ValueError as exc:
        raise click.ClickException(str(exc))
    click.echo(poll_id)


@poll_command.command("open")
@click.argument("poll_id", type=ROW_ID)
@with_appcontext
def open_command(poll_id: int) -> None:
    bot = runtime()
    try:
        with bot.store.write() as conn:
            queued = polls.open_poll(conn, bot.content.texts, poll_id)
            audit.record(conn, "cli", "poll_open", f"#{poll_id}, sent to {queued}")
    except ValueError as exc:
        raise click.ClickException(str(exc))
    click.echo(f"poll {poll_id} is open; queued for {queued} people")


@poll_command.command("close")
@click.argument("poll_id", type=ROW_ID)
@with_appcontext
def close_command(poll_id: int) -> None:
    bot = runtime()
    with bot.store.write() as conn:
        if not polls.set_state(conn, poll_id, "closed"):
            raise click.ClickException(f"poll {poll_id} is not open")
        audit.record(conn, "cli", "poll_close", f"#{poll_id}")
    click.echo(f"poll {poll_id} is closed")


@poll_command.command("results")
@click.argument("poll_id", type=ROW_ID)
@click.option("--json", "as_json", is_flag=True)
@with_appcontext
def results_command(poll_id: int, as_json: bool) -> None:
    bot = runtime()
    poll = polls.get(bot.store.conn, poll_id)
    if poll is None:
        raise click.ClickException(f"poll {poll_id} not found")
    counts = polls.tally(bot.store.conn, poll)
    if as_json:
        click.echo(json.dumps({"poll": poll.id, "state": poll.state, "question": poll.question,
                               "options": [{**o, "votes": n} for o, n in zip(poll.options, counts)],
                               "total": sum(counts)}, ensure_ascii=False))
    else:
        click.echo(f"{poll.question['th']} / {poll.question['en']} ({poll.state}, {sum(counts)} {'vote' if sum(counts) == 1 else 'votes'})")
        click.echo(polls.results_text(poll, counts, "th"))


@poll_command.command("list")
@with_appcontext
def list_command() -> None:
    bot = runtime()
    for poll in polls.every(bot.store.conn):
        click.echo(f"{poll.id:>4}  {poll.state:<7} {poll.question['th']}")
