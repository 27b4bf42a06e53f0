"""Talking to a person: the bot steps aside until a moderator hands the conversation back, or 24 hours pass.

Takes: the `HUMAN` payload and typed requests ("คุยกับเจ้าหน้าที่", "ขอคุยกับคน", "talk to a person");
and, first of everything (group -100), every message and postback of a person who is with a moderator, which
it keeps (the inbox has them for the moderators) but does not answer. Moderators in MODERATOR_PSIDS get a
Messenger alert. The console's hand-over inbox, `flask --app app handover list` and `handover release PSID` hand
back (bot/domain/handover.py).
"""
from __future__ import annotations

from bot import inbox
from bot.dispatcher import Context, EventHandler, PayloadHandler, Priority, TextHandler
from bot.domain import handover
from bot.domain.payloads import HUMAN
from bot.messenger.replies import Outgoing, QuickReply, Text
ASK_FOR_A_PERSON = (
    r"(?:ขอ)?(?:คุย|ติดต่อ|สอบถาม|ปรึกษา|แชท)(?:กับ)?(?:เจ้าหน้าที่|คน|แอดมิน|admin|ทีมงาน|พนักงาน)(?:หน่อย|ได้ไหม)?",
    r"(?:ขอ)?(?:เจ้าหน้าที่|แอดมิน|คนจริง)(?:หน่อย)?",
    r"(?:talk|speak|chat)(?: to| with)? (?:a |an )?(?:person|human|agent|admin|moderator|someone|staff)(?: please)?",
    r"human|agent|real person|live agent",
)


def stay_quiet(ctx: Context) -> None:
    """The person is with a moderator: keep the message (it is in the inbox), say nothing."""
    return None


def hand_over(ctx: Context) -> Text:
    psid = ctx.user.psid
    handover.start(ctx.conn, psid, ctx.now)
    last = inbox.last_messages(ctx.conn, psid, before=ctx.event.inbox_id)
    last_text = ((last[0].get("message") or {}).get("text") or "") if last else ""
    name = ctx.user.name or "-"
    for moderator in sorted(ctx.settings.moderator_psids - {psid}):
        alert = ctx.content.texts.get("handover_moderator_alert", "th", name=name, psid=psid, last=last_text[:300] or "-",
                                      console=f"{ctx.settings.base_url}/console/handover/{psid}")
        ctx.send(Outgoing(Text(alert), recipient={"id": moderator}, intent="UPDATE"))
    return Text(ctx.t("handover_started"))


def offer(ctx: Context) -> Text:
    """Asked for a person in other words than the exact ones: ask first, as the bot then goes quiet for a day."""
    return Text(ctx.t("handover_offer"), quick_replies=[QuickReply(ctx.t("faq_human"), HUMAN.build())] + ctx.menu()[:11])


def register(bot) -> None:
    bot.content.require_texts("handover_started", "handover_ended", "handover_moderator_alert", "faq_human",
                              "handover_offer")
    quiet = EventHandler({"message", "postback", "referral"}, stay_quiet, name="with_a_person",
                         predicate=lambda ctx: handover.is_with_a_person(ctx.conn, ctx.user.psid, ctx.now))
    bot.dispatcher.add(quiet, Priority.GUARD)
    bot.dispatcher.add(PayloadHandler(HUMAN, hand_over))
    bot.dispatcher.add(TextHandler(hand_over, patterns=ASK_FOR_A_PERSON, name="ask_for_a_person"), Priority.COMMAND)
    bot.dispatcher.add_intent("human", offer)
