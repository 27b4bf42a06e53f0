"""Broadcasts, for operators: `flask --app app broadcast`, `broadcast-status ID [--watch]`, `broadcast-cancel ID`,
`broadcasts` (the console and "/broadcast" in Messenger do the same; the lease holder's job sends them)."""
from __future__ import annotations

import json
import time
from datetime import datetime

import click
from flask.cli import with_appcontext

from ..domain import audit, broadcasts, segments
from ..domain.clock import local_time
from ..domain.segments import BroadcastError, Segment
from ..messenger import utility_messages
from ..numbers import ROW_ID
from ..web import runtime


def _parse_when(text: str | None, tz) -> float | None:
    if not text:
        return None
    try:
        when = datetime.fromisoformat(text)
    except ValueError:
        raise click.BadParameter(f"{text!r}: use YYYY-MM-DD HH:MM (in TIMEZONE)", param_hint="--at")
    if when.tzinfo is None:
        when = when.replace(tzinfo=tz)
    return when.timestamp()


def estimate_line(e: segments.Estimate) -> str:
    line = (f"{e.total} people: {e.in_window} inside the 24-hour window, {e.utility} registered outside it "
            f"(as a utility message), {e.outside} outside it (skipped)")
    if e.no_template:
        line += f", {e.no_template} registered outside it not sent: {utility_messages.NO_APPROVED_TEMPLATE}"
    return line + (f"; {e.unreachable} more blocked the Page" if e.unreachable else "")


def progress_line(p: broadcasts.Progress) -> str:
    return (f"{p.state}: {p.percent}%  audience {p.audience}  sent {p.sent}  failed {p.failed}  "
            f"skipped {p.skipped}  pending {p.pending}")


@click.command("broadcast")
@click.option("--segment", default="everyone", show_default=True,
              help="everyone | registered | topic:1-4 | session:ID | language:th|en")
@click.option("--text", "text_th", required=True, help="The announcement in Thai (English readers get it too "
              "unless --text-en is given).")
@click.option("--text-en", default="", help="The announcement in English.")
@click.option("--link", default="", help="Optional https link, shown as a button.")
@click.option("--link-title", default="", help="The button's Thai title (at most 20 characters).")
@click.option("--link-title-en", default="", help="The button's English title.")
@click.option("--event-update", is_flag=True, help="An update about the event people registered for: registered "
              "participants outside the 24-hour window get it too, as a utility message (the event_update template). "
              "Never for promotions.")
@click.option("--at", "at", default=None, help="Send at this time (YYYY-MM-DD HH:MM, TIMEZONE) instead of now.")
@click.option("--draft", is_flag=True, help="Only save it (send it from the console).")
@with_appcontext
def broadcast_command(segment, text_th, text_en, link, link_title, link_title_en, event_update, at, draft) -> None:
    """Announce something to a segment; prints the broadcast's id."""
    bot = runtime()
    agenda = bot.content["agenda"]
    try:
        seg = Segment.parse(segment, {s.id for s in agenda.sessions})
        when = _parse_when(at, bot.settings.tz)
        with bot.store.write() as conn:
            templates = bot.content["message_templates"]
            broadcast_id = broadcasts.create(conn, text_th=text_th, text_en=text_en, segment=seg, event_update=event_update,
                                             link_url=link, link_title_th=link_title, link_title_en=link_title_en,
                                             created_by="cli", templates=templates)
            if not draft:
                broadcasts.schedule(conn, broadcast_id, when)
            audit.record(conn, "cli", "broadcast_draft" if draft else "broadcast_send",
                         f"#{broadcast_id} {seg}" + (f" at {at}" if at else ""))
            est = segments.estimate(conn, seg, event_update, agenda, templates=templates)
    except BroadcastError as exc:
        raise click.ClickException(str(exc))
    click.echo(broadcast_id)
    click.echo(f"audience: {estimate_line(est)}", err=True)
    state = "saved as a draft" if draft else (f"scheduled for {at}" if at else "sending now")
    click.echo(f"broadcast {broadcast_id} {state}; follow it with: flask --app app broadcast-status {broadcast_id}",
               err=True)
    holder = bot.lease.holder()
    if not draft and (holder is None or holder["age"] > bot.lease_ttl):
        click.echo("note: no bot process is running; it goes out when the bot starts", err=True)


@click.command("broadcast-status")
@click.argument("broadcast_id", type=ROW_ID)
@click.option("--watch", is_flag=True, help="Print the counts every second until it ends.")
@click.option("--json", "as_json", is_flag=True)
@with_appcontext
def broadcast_status(broadcast_id: int, watch: bool, as_json: bool) -> None:
    """Counts of one broadcast: sent, failed, skipped (outside the window, cancelled), pending."""
    bot = runtime()
    while True:
        p = broadcasts.progress(bot.store.conn, broadcast_id)
        if p is None:
            raise click.ClickException(f"broadcast {broadcast_id} not found")
        click.echo(json.dumps(p.as_dict()) if as_json else progress_line(p))
        if not watch or p.state not in broadcasts.ACTIVE:
            return
        time.sleep(1.0)


@click.command("broadcast-cancel")
@click.argument("broadcast_id", type=ROW_ID)
@with_appcontext
def broadcast_cancel(broadcast_id: int) -> None:
    """Stop a broadcast: messages not yet sent are not sent."""
    bot = runtime()
    try:
        with bot.store.write() as conn:
            cancelled = broadcasts.cancel(conn, broadcast_id, "cli")
            audit.record(conn, "cli", "broadcast_cancel", f"#{broadcast_id}, {cancelled} not sent")
    except BroadcastError as exc:
        raise click.ClickException(str(exc))
    click.echo(f"broadcast {broadcast_id} cancelled; {cancelled} queued messages will not be sent")


@click.command("broadcasts")
@with_appcontext
def list_broadcasts() -> None:
    """The latest broadcasts with their state and counts."""
    bot = runtime()
    conn, tz = bot.store.conn, bot.settings.tz
    items = broadcasts.recent(conn)
    if not items:
        click.echo("no broadcasts yet")
    for b in items:
        p = broadcasts.progress(conn, b.id)
        when = local_time(b.scheduled_at or b.created_at, tz)
        click.echo(f"#{b.id:<4} {when}  {str(b.segment):<14} {progress_line(p)}  {b.text['th'][:40]!r}")
