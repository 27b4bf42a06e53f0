"""A person's own data (PDPA): see everything the bot keeps, and delete it.

Takes: "ข้อมูลของฉัน" / "my data" and the `DATA:SHOW` payload; "ลบข้อมูล" / "delete my data" and the
`DATA:DELETE` payloads. Deleting asks first, then erases everything every feature declared it keeps about the
person (`bot.privacy`, see bot/privacy.py): the registration, a form in progress, the name and locale from
Facebook, the text of everything they sent and were sent, their FAQ questions, subscriptions, hand-over, and
the audit log's record of a moderator's reply to them. Votes stay counted under a one-way key, so that voting
again after an erasure is still one vote. Then the WAL of every database file is scrubbed.
"""
from __future__ import annotations

import logging
from datetime import datetime

from bot.dispatcher import Context, MenuItem, PayloadHandler, Priority, TextHandler
from bot.domain import registrations
from bot.domain.payloads import DELETE_ANSWER, DELETE_DATA, MY_DATA
from bot.domain.contact import parse_contact
from bot.logs import event as log_event
from bot.messenger.replies import QuickReply, Text

log = logging.getLogger(__name__)

MY_DATA_WORDS = r"ข้อมูลของฉัน|ข้อมูลฉัน|ข้อมูลส่วนตัว|ดูข้อมูลของฉัน|my data|my info|my information|show my data|what do you know about me"
DELETE_DATA_WORDS = r"ลบข้อมูล|ลบข้อมูลของฉัน|ลบข้อมูลฉัน|ลบข้อมูลส่วนตัว|delete my data|delete my info|erase my data|forget me"


def _when(stamp: float | None, ctx: Context) -> str:
    """A moment in the event's time zone (TIMEZONE), as people there read it."""
    if not stamp:
        return "-"
    return datetime.fromtimestamp(stamp, ctx.settings.tz).strftime("%Y-%m-%d %H:%M")


def show(ctx: Context) -> Text:
    reg = registrations.of(ctx.conn, ctx.user.psid)
    profile = ctx.user.name
    registration = ctx.t("data_none")
    if reg is not None:
        registration = ctx.t(
            "data_registration", number=reg["number"], status=ctx.t(f"status_{reg['status']}"), name=reg["full_name"],
            contact=parse_contact(reg["contact"]).display, role=ctx.t(f"role_{reg['role']}"),
            topic=ctx.t(f"topic_{reg['topic']}"), team=reg["team"] or "-", consented=_when(reg["consent_at"], ctx))
    text = ctx.t("data_summary", profile_name=profile or "-", language="ไทย" if ctx.lang == "th" else "English",
                 registration=registration)
    return Text(text, quick_replies=[QuickReply(ctx.t("data_delete_button"), DELETE_DATA.build())] + ctx.menu())


def ask_to_delete(ctx: Context) -> Text:
    return Text(ctx.t("delete_confirm"), quick_replies=[QuickReply(ctx.t("delete_yes"), DELETE_ANSWER.build(answer="yes")),
                                                        QuickReply(ctx.t("delete_no"), DELETE_ANSWER.build(answer="no"))])


def delete(ctx: Context, privacy) -> Text:
    if ctx.match.answer != "yes":
        return Text(ctx.t("delete_kept"), quick_replies=ctx.menu())
    counts = privacy.erase(ctx.conn, ctx.user.psid, ctx.now, inbox_id=ctx.event.inbox_id)
    log_event(log, "privacy.erased", rows={table: n for table, n in counts.items() if n})  # counts only
    return Text(ctx.t("delete_done"), quick_replies=ctx.menu())


def register(bot) -> None:
    bot.content.require_texts("data_summary", "data_registration", "data_none", "delete_confirm", "delete_done")
    bot.dispatcher.add(TextHandler(show, patterns=[MY_DATA_WORDS], name="my_data"), Priority.COMMAND)
    bot.dispatcher.add(TextHandler(ask_to_delete, patterns=[DELETE_DATA_WORDS], name="delete_my_data"), Priority.COMMAND)
    bot.dispatcher.add(PayloadHandler(MY_DATA, show))
    bot.dispatcher.add(PayloadHandler(DELETE_DATA, ask_to_delete))
    bot.dispatcher.add(PayloadHandler(DELETE_ANSWER, lambda ctx: delete(ctx, bot.privacy), name="delete_confirmed"))
    bot.dispatcher.add_menu_item(MenuItem(MY_DATA.build(), {"th": "👤 ข้อมูลของฉัน", "en": "👤 My data"}, order=80,
                                          quick=False))
    bot.dispatcher.add_intent("my_data", show)
    bot.dispatcher.add_intent("delete_data", ask_to_delete)
