"""Giving up one's place: cancelling a registration, without erasing anything else.

Takes: "ยกเลิกการลงทะเบียน" / "ไม่สะดวกไปแล้ว" / "cancel my registration" typed, and `UNREGISTER:<yes|keep>` (the
confirmation). A registered or waitlisted person is shown their number and asked first; on "yes" the registration
is deleted (bot/domain/registrations.py `cancel`) and, where REGISTRATION_CAPACITY is set, the first person on the
waitlist gets the place and is told in their language, as the waitlist message promised ("if a place opens we
will tell you here"). Erasing everything else is "ลบข้อมูล" / "delete my data" (handlers/privacy.py), said in the
reply. Field report: "cancel my registration" offered to erase all of the person's data.
"""
from __future__ import annotations

import re

from bot.dispatcher import Context, PayloadHandler, Priority, TextHandler
from bot.domain import registrations
from bot.domain.payloads import UNREGISTER
from bot.messenger import people
from bot.messenger.replies import Outgoing, QuickReply, Text

CANCEL_WORDS = (r"(?:ขอ)?ยกเลิก(?:การ)?(?:ลงทะเบียน|สมัคร)|ไม่สะดวก(?:ไป|เข้าร่วม)แล้ว|สละสิทธิ์|"
                r"cancel (?:my )?(?:registration|sign ?up)|unregister|withdraw (?:my )?registration|"
                r"i can'?t (?:come|make it|join) any ?more")
CANCEL_RE = re.compile(CANCEL_WORDS, re.IGNORECASE)


def ask(ctx: Context) -> Text:
    mine = registrations.of(ctx.conn, ctx.user.psid)
    if mine is None:
        return Text(ctx.t("unregister_none"), quick_replies=ctx.menu())
    return Text(ctx.t("unregister_confirm", number=mine["number"]), quick_replies=[
        QuickReply(ctx.t("unregister_yes"), UNREGISTER.build(action="yes")),
        QuickReply(ctx.t("unregister_keep"), UNREGISTER.build(action="keep"))])


def decide(ctx: Context) -> list:
    if ctx.match.action != "yes":
        return [Text(ctx.t("unregister_kept"), quick_replies=ctx.menu())]
    mine, promoted = registrations.cancel(ctx.conn, ctx.user.psid, ctx.settings.registration_capacity, ctx.now)
    if mine is None:  # a second tap, or cancelled already
        return [Text(ctx.t("unregister_none"), quick_replies=ctx.menu())]
    said = [Text(ctx.t("unregister_done", number=mine["number"]), quick_replies=ctx.menu())]
    if promoted is not None:  # their window may be closed: the outbox then records it as not sendable
        lang = people.language(ctx.conn, promoted["psid"])
        said.append(Outgoing(Text(ctx.content.texts.get("unregister_promoted", lang, number=promoted["number"])),
                             recipient={"id": promoted["psid"]}, intent="UPDATE", dedup_key=f"promoted:{promoted['number']}"))
    return said


def register(bot) -> None:
    bot.content.require_texts("unregister_none", "unregister_confirm", "unregister_yes", "unregister_keep",
                              "unregister_kept", "unregister_done", "unregister_promoted")
    # Said by someone registered, it is about the registration even in the middle of a form (editing it: "cancel"
    # there would only end the editing, and the bot said "cancelled" while the registration stayed).
    bot.dispatcher.add(TextHandler(ask, predicate=lambda text, ctx: bool(CANCEL_RE.fullmatch(text)) and registrations.of(
        ctx.conn, ctx.user.psid) is not None, name="unregister_registered"), Priority.COMMAND)
    bot.dispatcher.add(TextHandler(ask, patterns=[CANCEL_WORDS], name="unregister_words"))
    bot.dispatcher.add(PayloadHandler(UNREGISTER, decide))
