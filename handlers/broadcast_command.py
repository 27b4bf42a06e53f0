"""Moderators' "/broadcast TEXT" in Messenger: announce to everyone, after a confirmation that shows the audience.

Takes: "/broadcast ไทย | English" (the English text after "|", as poll texts are written; without one, English
readers get the Thai text and the confirmation says so) and "/broadcast status ID" typed by a PSID in
MODERATOR_PSIDS (from anyone else it is
ordinary text), and the confirmation payloads `BROADCAST:SEND:<id>` / `BROADCAST:DROP:<id>` from moderators.
The broadcast is saved as a draft first; "ส่งเลย/Send" schedules it for now, and the lease holder's job queue
fans it out (schedules/broadcasts.py). Segments, links and scheduling are in the console and the CLI.
"""
from __future__ import annotations

import re

from bot.dispatcher import Context, PayloadHandler, Priority, TextHandler
from bot.domain import audit, broadcasts
from bot.domain.payloads import BROADCAST
from bot.domain.segments import BroadcastError, Segment, estimate
from bot.messenger.replies import QuickReply, Text
from bot.numbers import row_id

COMMAND = re.compile(r"/?broadcast\s+(.+)", re.IGNORECASE | re.DOTALL)
STATUS = re.compile(r"status\s+#?(\d+)", re.IGNORECASE)


def typed_command(text: str, ctx: Context):
    """A moderator's "/broadcast ..." (the match of COMMAND), else None."""
    return COMMAND.fullmatch((ctx.event.text or "").strip()) if ctx.is_moderator else None


def compose(ctx: Context) -> Text:
    body = ctx.match.group(1).strip()
    status = STATUS.fullmatch(body)
    if status:
        broadcast_id = row_id(status.group(1))
        if broadcast_id is None:
            return Text(ctx.t("broadcast_not_changeable", reason=f"broadcast {status.group(1)[:30]} not found"))
        return show_status(ctx, broadcast_id)
    who = f"messenger:{ctx.user.psid}"
    segment = Segment("everyone")
    text_th, _, text_en = (part.strip() for part in body.partition("|"))
    try:
        broadcast_id = broadcasts.create(ctx.conn, text_th=text_th, text_en=text_en, segment=segment, created_by=who)
    except BroadcastError as exc:
        return Text(ctx.t("broadcast_not_changeable", reason=str(exc)))
    audit.record(ctx.conn, who, "broadcast_draft", f"#{broadcast_id} {segment}")
    e = estimate(ctx.conn, segment, False, ctx.content["agenda"], now=ctx.now)
    return Text(ctx.t("broadcast_confirm", id=broadcast_id, total=e.total, reachable=e.reachable, outside=e.outside,
                      text=text_th[:500], english=text_en[:500] or ctx.t("broadcast_no_english")),
                quick_replies=[QuickReply(ctx.t("broadcast_send_button"), BROADCAST.build(action="SEND", broadcast=broadcast_id)),
                               QuickReply(ctx.t("broadcast_drop_button"), BROADCAST.build(action="DROP", broadcast=broadcast_id))])


def show_status(ctx: Context, broadcast_id: int) -> Text:
    p = broadcasts.progress(ctx.conn, broadcast_id)
    if p is None:
        return Text(ctx.t("broadcast_not_changeable", reason=f"broadcast {broadcast_id} not found"))
    return Text(ctx.t("broadcast_status", id=broadcast_id, **p.as_dict()))


def confirm(ctx: Context) -> Text:
    if not ctx.is_moderator:
        return Text(ctx.t("unknown_choice"), quick_replies=ctx.menu())
    action, number = ctx.match.action, ctx.match.broadcast
    who = f"messenger:{ctx.user.psid}"
    broadcast_id = row_id(number)
    if broadcast_id is None:
        return Text(ctx.t("broadcast_not_changeable", reason=f"broadcast {number[:30]} not found"))
    try:
        if action == "SEND":
            broadcasts.schedule(ctx.conn, broadcast_id)
            audit.record(ctx.conn, who, "broadcast_send", f"#{broadcast_id}")
            return Text(ctx.t("broadcast_started", id=broadcast_id))
        broadcasts.cancel(ctx.conn, broadcast_id, who)
        audit.record(ctx.conn, who, "broadcast_cancel", f"#{broadcast_id}")
        return Text(ctx.t("broadcast_dropped", id=broadcast_id))
    except (BroadcastError, ValueError) as exc:
        return Text(ctx.t("broadcast_not_changeable", reason=str(exc)))


def usage(ctx: Context) -> Text:
    return Text(ctx.t("broadcast_usage"))


def register(bot) -> None:
    bot.content.require_texts("broadcast_confirm", "broadcast_send_button", "broadcast_drop_button", "broadcast_started",
                              "broadcast_dropped", "broadcast_not_changeable", "broadcast_status", "broadcast_usage")
    bot.dispatcher.add(TextHandler(compose, predicate=typed_command, name="broadcast_command"), Priority.COMMAND)
    bot.dispatcher.add(TextHandler(usage, name="broadcast_usage",
                                   predicate=lambda text, ctx: ctx.is_moderator and text in ("broadcast", "/broadcast")),
                       Priority.COMMAND)
    bot.dispatcher.add(PayloadHandler(BROADCAST, confirm), Priority.COMMAND)
