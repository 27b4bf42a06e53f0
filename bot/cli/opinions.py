"""Opinion rounds, for operators: `flask --app app opinions create|open|close|list|statements|approve|report|votes`
(the console does the same; bot/domain/opinions.py and opinion_results.py are where it happens).

    opinions create --topic 1                       a draft round seeded from content/opinions.toml
    opinions create --title "ไทย | English" [--statement "ไทย | English" ...]
    opinions open ID / close ID                     opening tells those who asked for polls or everything
    opinions list [--json]
    opinions statements ID [--pending] [--add "ไทย | English"] [--json]
    opinions approve STATEMENT [--reject] [--th TEXT] [--en TEXT]
    opinions report ID [--json] [--stored]          recomputes the map here (never in a web worker) and prints it
    opinions votes ID                               the votes as CSV, voters by their one-way keys
"""
from __future__ import annotations

import json

import click
from flask.cli import with_appcontext

from ..domain import audit, opinion_results, opinions
from ..domain.polls import bilingual_text
from ..numbers import ROW_ID
from ..web import runtime


@click.group("opinions")
def opinions_command() -> None:
    """Opinion rounds (Pol.is in the chat): statements, votes, opinion groups and consensus."""


def _round(conn, round_id: int) -> opinions.Round:
    found = opinions.get_round(conn, round_id)
    if found is None:
        raise click.ClickException(f"round {round_id} not found")
    return found


@opinions_command.command("create")
@click.option("--topic", type=click.Choice(["1", "2", "3", "4"]), default=None,
              help="One of the event's topics: its title and seed statements from content/opinions.toml.")
@click.option("--title", default=None, help='The question: "ไทย | English" (instead of, or over, the topic\'s).')
@click.option("--statement", "statements", multiple=True, help='A statement: "ไทย | English" (10-140 characters).')
@with_appcontext
def create_command(topic, title, statements) -> None:
    bot = runtime()
    seeds = bot.content["opinion_seeds"].get(topic) if topic else None
    if topic and seeds is None:
        raise click.ClickException(f"content/opinions.toml has no statements for topic {topic}")
    if not title and seeds is None:
        raise click.ClickException("give --topic or --title")
    heading = bilingual_text(title) if title else seeds.title
    texts = [*(seeds.statements if seeds else ()), *(bilingual_text(s) for s in statements)]
    try:
        with bot.store.write() as conn:
            round_id = opinions.create_round(conn, heading, texts, topic=topic)
            audit.record(conn, "cli", "opinion_round_create", f"#{round_id} {heading['th'][:100]}")
    except ValueError as exc:
        raise click.ClickException(str(exc))
    click.echo(round_id)


@opinions_command.command("open")
@click.argument("round_id", type=ROW_ID)
@with_appcontext
def open_command(round_id: int) -> None:
    bot = runtime()
    try:
        with bot.store.write() as conn:
            told = opinions.open_round(conn, bot.content.texts, round_id)
            audit.record(conn, "cli", "opinion_round_open", f"#{round_id}, told {told}")
    except ValueError as exc:
        raise click.ClickException(str(exc))
    bot.wake_sender()
    click.echo(f"round {round_id} is open; {told} {'person' if told == 1 else 'people'} told")


@opinions_command.command("close")
@click.argument("round_id", type=ROW_ID)
@with_appcontext
def close_command(round_id: int) -> None:
    bot = runtime()
    with bot.store.write() as conn:
        if not opinions.set_state(conn, round_id, "closed"):
            raise click.ClickException(f"round {round_id} is not open")
        opinion_results.request(conn, round_id)  # the final map, from every vote
        audit.record(conn, "cli", "opinion_round_close", f"#{round_id}")
    click.echo(f"round {round_id} is closed")


@opinions_command.command("list")
@click.option("--json", "as_json", is_flag=True)
@with_appcontext
def list_command(as_json: bool) -> None:
    conn = runtime().store.conn
    rows = []
    for r in opinions.rounds(conn):
        live = len(opinions.statements(conn, r.id, "approved"))
        waiting = len(opinions.statements(conn, r.id, "pending"))
        rows.append({"round": r.id, "state": r.state, "topic": r.topic, "title": r.title, "statements": live,
                     "pending": waiting, "votes": len(opinions.round_votes(conn, r.id))})
    if as_json:
        click.echo(json.dumps(rows, ensure_ascii=False))
        return
    for row in rows:
        click.echo(f"{row['round']:>4}  {row['state']:<7} {row['statements']:>3} statements, {row['pending']} waiting, "
                   f"{row['votes']} votes  {row['title']['th']}")


@opinions_command.command("statements")
@click.argument("round_id", type=ROW_ID)
@click.option("--pending", is_flag=True, help="Only those waiting for moderation.")
@click.option("--add", "added", multiple=True, help='Add a moderator\'s statement, live at once: "ไทย | English".')
@click.option("--json", "as_json", is_flag=True)
@with_appcontext
def statements_command(round_id: int, pending: bool, added, as_json: bool) -> None:
    bot = runtime()
    _round(bot.store.conn, round_id)
    if added:
        try:
            with bot.store.write() as conn:
                for text in added:
                    opinions.add_statement(conn, round_id, bilingual_text(text), origin="moderator")
                audit.record(conn, "cli", "opinion_statements_add", f"#{round_id} +{len(added)}")
        except ValueError as exc:
            raise click.ClickException(str(exc))
    items = opinions.statements(bot.store.conn, round_id, "pending" if pending else None)
    if as_json:
        click.echo(json.dumps([{"statement": s.id, "status": s.status, "origin": s.origin, "text": s.text,
                                "votes": s.seen, "flags": s.flags} for s in items], ensure_ascii=False))
        return
    for s in items:
        flags = "".join([" ⚠ rude: " + ", ".join(s.flags["rude"]) if s.flags.get("rude") else "",
                         " ≈ like #" + ", #".join(map(str, s.flags["near"])) if s.flags.get("near") else ""])
        click.echo(f"{s.id:>5}  {s.status:<8} {s.seen:>5} votes  {s.text['th']}"
                   + (f" / {s.text['en']}" if s.text["en"] != s.text["th"] else "") + flags)


@opinions_command.command("approve")
@click.argument("statement_id", type=ROW_ID)
@click.option("--reject", is_flag=True, help="Reject instead (it never goes live).")
@click.option("--th", default=None, help="The Thai wording to publish (default: as written).")
@click.option("--en", default=None, help="The English wording to publish (default: as written).")
@with_appcontext
def approve_command(statement_id: int, reject: bool, th, en) -> None:
    bot = runtime()
    try:
        with bot.store.write() as conn:
            found = opinions.decide(conn, bot.content.texts, statement_id, not reject,
                                    {"th": th, "en": en} if th or en else None)
            audit.record(conn, "cli", "opinion_statement_reject" if reject else "opinion_statement_approve",
                         f"#{statement_id}")
    except ValueError as exc:
        raise click.ClickException(str(exc))
    bot.wake_sender()
    click.echo(f"statement {statement_id} {found.status}")


@opinions_command.command("report")
@click.argument("round_id", type=ROW_ID)
@click.option("--json", "as_json", is_flag=True)
@click.option("--stored", is_flag=True, help="The map as last computed by the bot, without computing it again.")
@with_appcontext
def report_command(round_id: int, as_json: bool, stored: bool) -> None:
    bot = runtime()
    _round(bot.store.conn, round_id)
    if not stored:
        opinion_results.recompute(bot.store, round_id)
    report = opinion_results.report(bot.store.conn, round_id)
    if as_json:
        click.echo(json.dumps(report, ensure_ascii=False))
        return
    for line in opinion_results.report_lines(report, "th") + [""] + opinion_results.report_lines(report, "en"):
        click.echo(line)


@opinions_command.command("votes")
@click.argument("round_id", type=ROW_ID)
@with_appcontext
def votes_command(round_id: int) -> None:
    """Every vote of the round as CSV (voter, statement, vote): voters by their one-way key of this round."""
    conn = runtime().store.conn
    _round(conn, round_id)
    click.echo(opinions.votes_csv(conn, round_id).lstrip("\ufeff"), nl=False)
