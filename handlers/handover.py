"""Talking to a person: the bot steps aside until a moderator hands the conversation back, or 24 hours pass.

Takes: the `HUMAN` payload and typed requests ("คุยกับเจ้าหน้าที่", "ขอคุยกับคน", "talk to a person");
and, first of everything (group -100), every message and postback of a person who is with a moderator, which
it keeps (the inbox has them for the moderators) but does not answer. Moderators in MODERATOR_PSIDS get a
Messenger alert. `flask --app app handover list` shows who is waiting; `handover release PSID` hands back.
"""
from __future__ import annotations

import json
import time

import click
from flask.cli import with_appcontext
from flask import current_app

from bot import audit
from bot.dispatcher import COMMANDS, GUARDS, Context, EventHandler, PayloadHandler, TextHandler
from bot.messenger.outbox import enqueue
from bot.privacy import PERSON
from bot.store import ensure_table
from bot.messenger.replies import Outgoing, QuickReply, Text

HUMAN = "HUMAN"
HANDOVER_SECONDS = 24 * 3600
ASK_FOR_A_PERSON = (
    r"(?:ขอ)?(?:คุย|ติดต่อ|สอบถาม|ปรึกษา|แชท)(?:กับ)?(?:เจ้าหน้าที่|คน|แอดมิน|admin|ทีมงาน|พนักงาน)(?:หน่อย|ได้ไหม)?",
    r"(?:ขอ)?(?:เจ้าหน้าที่|แอดมิน|คนจริง)(?:หน่อย)?",
    r"(?:talk|speak|chat)(?: to| with)? (?:a |an )?(?:person|human|agent|admin|moderator|someone|staff)(?: please)?",
    r"human|agent|real person|live agent",
)


def schema(db) -> None:
    ensure_table(
        db, "handover",
        {"psid": str, "requested_at": float, "until": float, "released_at": float, "released_by": str},
        pk="psid",
    )


def is_with_a_person(conn, psid: str, now: float) -> bool:
    return conn.execute(
        "SELECT 1 FROM handover WHERE psid = ? AND released_at IS NULL AND until > ?", (psid, now)
    ).fetchone() is not None


def stay_quiet(ctx: Context) -> None:
    """The person is with a moderator: keep the message (it is in the inbox), say nothing."""
    return None


def hand_over(ctx: Context) -> Text:
    psid = ctx.user.psid
    ctx.conn.execute(
        "INSERT INTO handover (psid, requested_at, until) VALUES (?, ?, ?) ON CONFLICT(psid) DO UPDATE SET "
        "requested_at = excluded.requested_at, until = excluded.until, released_at = NULL, released_by = NULL",
        (psid, ctx.now, ctx.now + HANDOVER_SECONDS),
    )
    last = ctx.conn.execute(
        "SELECT event FROM inbox WHERE psid = ? AND kind = 'message' AND id < ? ORDER BY id DESC LIMIT 1",
        (psid, ctx.event.inbox_id),
    ).fetchone()
    last_text = ""
    if last is not None:
        last_text = (json.loads(last[0]).get("message") or {}).get("text") or ""
    name = " ".join(p for p in (ctx.user.first_name, ctx.user.last_name) if p) or "-"
    for moderator in sorted(ctx.settings.moderator_psids - {psid}):
        alert = ctx.content.texts.get("handover_moderator_alert", "th", name=name, psid=psid, last=last_text[:300] or "-",
                                      console=f"{ctx.settings.base_url}/console/handover/{psid}")
        ctx.send(Outgoing(Text(alert), recipient={"id": moderator}, intent="UPDATE"))
    return Text(ctx.t("handover_started"))


def offer(ctx: Context) -> Text:
    """Asked for a person in other words than the exact ones: ask first, as the bot then goes quiet for a day."""
    return Text(ctx.t("handover_offer"), quick_replies=[QuickReply(ctx.t("faq_human"), HUMAN)] + ctx.menu()[:11])


def waiting(conn, now: float) -> list:
    """People waiting for a person, longest first, with their name and when they asked."""
    return conn.execute(
        "SELECT h.psid, h.requested_at, h.until, u.first_name, u.last_name, u.language, u.last_interaction_at "
        "FROM handover h LEFT JOIN users u ON u.psid = h.psid "
        "WHERE h.released_at IS NULL AND h.until > ? ORDER BY h.requested_at", (now,)).fetchall()


def release_conversation(conn, texts, psid: str, by: str) -> bool:
    """Hand `psid` back to the bot and tell them, in their language; False when they were not waiting."""
    now = time.time()
    released = conn.execute(
        "UPDATE handover SET released_at = ?, released_by = ? WHERE psid = ? AND released_at IS NULL AND until > ?",
        (now, by, psid, now)).rowcount
    if released:
        row = conn.execute("SELECT language FROM users WHERE psid = ?", (psid,)).fetchone()
        lang = row["language"] if row and row["language"] else "th"
        enqueue(conn, psid, [Outgoing(Text(texts.get("handover_ended", lang)), intent="UPDATE")])
    return bool(released)


def register(bot) -> None:
    bot.store.add_migration(schema)
    # The alert to moderators (their name, last message) is erased with the outbox: it came from their event.
    bot.privacy.personal("handover", person="psid", kept_from="requested_at")
    bot.content.require_texts("handover_started", "handover_ended", "handover_moderator_alert", "faq_human",
                              "handover_offer")
    quiet = EventHandler({"message", "postback", "referral"}, stay_quiet, name="with_a_person",
                         predicate=lambda ctx: is_with_a_person(ctx.conn, ctx.user.psid, ctx.now))
    bot.dispatcher.add(quiet, group=GUARDS)
    bot.dispatcher.add(PayloadHandler(HUMAN, hand_over), group=8)
    bot.dispatcher.add(TextHandler(hand_over, patterns=ASK_FOR_A_PERSON, name="ask_for_a_person"), group=COMMANDS)
    bot.dispatcher.add_intent("human", offer)
    bot.commands.append(handover_command)


@click.group("handover")
def handover_command() -> None:
    """Conversations handed to a person."""


@handover_command.command("list")
@with_appcontext
def list_handovers() -> None:
    """Who is waiting for a person (the bot is quiet for them)."""
    bot = current_app.extensions["bot"]
    now = time.time()
    rows = waiting(bot.store.conn, now)
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
    bot = current_app.extensions["bot"]
    with bot.store.write() as conn:
        released = release_conversation(conn, bot.content.texts, psid, by)
        if released:
            audit.record(conn, by, "handover_release", psid, subject=bot.privacy.pseudonym(PERSON, psid))
    if not released:
        raise click.ClickException(f"{psid} is not waiting for a person")
    click.echo(f"{psid} is back with the bot")
