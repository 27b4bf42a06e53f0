"""Subscribing to reminders: one session, one topic, or everything.

Takes: the `REMIND:SESSION:<id>` button on schedule cards, `REMIND:TOPIC:<n>` and `REMIND:ALL`, "การแจ้งเตือนของฉัน"
/ "my reminders" (the list, with a stop button for each), `UNREMIND:...` taps, "หยุดแจ้งเตือน" / "stop reminders"
(stops all), and "stop" / "หยุดส่งข้อความ" / "unsubscribe" (reminders, poll openings and announcements: nothing but
replies until "start" / "รับข่าว"; a form in progress takes "stop" as its cancel first). The reminders themselves
are sent by schedules/reminders.py, announcements by bot/domain/broadcasts.py.
"""
from __future__ import annotations

from bot.dispatcher import Context, PayloadHandler, Priority, TextHandler
from bot.domain import subscriptions
from bot.domain.payloads import REMIND, SCHEDULE, UNREMIND
from bot.messenger import people
from bot.messenger.replies import QuickReply, Text
MY_REMINDERS = r"การแจ้งเตือนของฉัน|แจ้งเตือนของฉัน|my reminders|reminders"
STOP_REMINDERS = r"หยุดแจ้งเตือน|หยุดการแจ้งเตือน|ยกเลิกการแจ้งเตือน|ไม่ต้องเตือน|stop reminders|no more reminders"
STOP_ALL = (r"stop|หยุด(?:ส่ง)?(?:ข้อความ)?|หยุดส่งข่าว|ไม่อยากได้ข้อความ(?:จาก(?:บอท|เพจ))?(?:แล้ว)?|"
            r"ไม่ต้องส่ง(?:ข้อความ|ข่าว)?มา(?:อีก)?(?:แล้ว)?|stop (?:sending )?(?:me )?(?:messages|announcements|news)|"
            r"unsubscribe(?: me)?(?: from everything)?|opt ?out|no more messages")
START_ALL = r"start|รับข่าว(?:สาร)?|เริ่มรับข่าว(?:สาร)?|ส่งข่าวมาได้(?:แล้ว)?|subscribe|opt ?in|send me news"


def subscribe(ctx: Context):
    kind, target = ctx.match.what, ctx.match.target
    agenda = ctx.content["agenda"]
    if kind == "SESSION" and agenda.get(target) is None or kind not in ("SESSION", "TOPIC", "ALL", "POLLS"):
        return Text(ctx.t("unknown_choice"), quick_replies=ctx.menu())
    if kind == "SESSION" and agenda.get(target).end.timestamp() <= ctx.now:  # an old card's button: nothing to remind
        return Text(ctx.t("remind_session_over", title=agenda.get(target).title[ctx.lang]), quick_replies=ctx.menu())
    subscriptions.subscribe(ctx.conn, ctx.user.psid, kind.lower(), target or "*", ctx.now)
    if kind == "SESSION":
        session = agenda.get(target)
        offsets = " และ ".join(f"{m:g}" for m in ctx.settings.reminder_offsets) if ctx.lang == "th" else \
            " and ".join(f"{m:g}" for m in ctx.settings.reminder_offsets)
        more = [QuickReply(ctx.t("remind_all_button"), REMIND.build(what="ALL"))]
        if session.topic != "all":
            more.insert(0, QuickReply(ctx.t("remind_topic_button"), REMIND.build(what="TOPIC", target=session.topic)))
        return Text(ctx.t("remind_session_set", title=session.title[ctx.lang], offsets=offsets), quick_replies=more)
    if kind == "TOPIC":
        return Text(ctx.t("remind_topic_set", topic=ctx.t(f"topic_{target}")), quick_replies=ctx.menu())
    if kind == "POLLS":
        return Text(ctx.t("vote_notify_set"), quick_replies=ctx.menu())
    return Text(ctx.t("remind_all_set"), quick_replies=ctx.menu())


def label(ctx: Context, kind: str, target: str) -> str:
    if kind == "session":
        session = ctx.content["agenda"].get(target)
        return session.title[ctx.lang] if session else target
    if kind == "topic":
        return ctx.t(f"topic_{target}")
    if kind == "polls":
        return ctx.t("vote_notify_button")
    return ctx.t("remind_all_label")


def my_reminders(ctx: Context) -> Text:
    rows = subscriptions.of(ctx.conn, ctx.user.psid)
    if not rows:
        return Text(ctx.t("remind_none"), quick_replies=ctx.menu())
    items = "\n".join(f"• {label(ctx, r['kind'], r['target'])}" for r in rows)
    stops = [QuickReply(f"🔕 {label(ctx, r['kind'], r['target'])}", UNREMIND.build(kind=r["kind"], target=r["target"]))
             for r in rows][:12]
    return Text(ctx.t("remind_list", items=items),
                quick_replies=stops + [QuickReply(ctx.t("remind_stop_all"), UNREMIND.build(kind="ALL"))])


def unsubscribe(ctx: Context) -> Text:
    stop = ctx.match if ctx.event.payload else None  # a stop button's fields; "stop reminders" typed: all of them
    if stop is None or stop.kind == "ALL":
        subscriptions.unsubscribe(ctx.conn, ctx.user.psid)
    else:
        subscriptions.unsubscribe(ctx.conn, ctx.user.psid, stop.kind, stop.target)
    return Text(ctx.t("remind_stopped"), quick_replies=ctx.menu())


def stop_everything(ctx: Context) -> Text:
    """ "stop": no reminders, poll openings or announcements; replies to what the person writes still come."""
    subscriptions.unsubscribe(ctx.conn, ctx.user.psid)
    people.stop_announcements(ctx.conn, ctx.user.psid, ctx.now)
    return Text(ctx.t("stop_all_done"), quick_replies=ctx.menu())


def start_again(ctx: Context) -> Text:
    resumed = people.resume_announcements(ctx.conn, ctx.user.psid)
    return Text(ctx.t("start_all_done" if resumed else "start_all_already"), quick_replies=ctx.menu())


def offer(ctx: Context) -> Text:
    """Asked to be reminded, in words: their reminders if they have some, else every session or the schedule."""
    if subscriptions.has_any(ctx.conn, ctx.user.psid):
        return my_reminders(ctx)
    return Text(ctx.t("remind_offer"), quick_replies=[QuickReply(ctx.t("remind_all_button"), REMIND.build(what="ALL")),
                                                      QuickReply(ctx.t("remind_pick_sessions"), SCHEDULE.build())])


def register(bot) -> None:
    bot.content.require_texts("remind_button", "remind_session_set", "reminder_soon", "reminder_live", "reminder_moved",
                              "remind_offer", "remind_pick_sessions")
    bot.dispatcher.add(PayloadHandler(REMIND, subscribe))
    bot.dispatcher.add(PayloadHandler(UNREMIND, unsubscribe))
    bot.dispatcher.add(TextHandler(my_reminders, patterns=[MY_REMINDERS], name="my_reminders"), Priority.COMMAND)
    bot.dispatcher.add(TextHandler(unsubscribe, patterns=[STOP_REMINDERS], name="stop_reminders"), Priority.COMMAND)
    bot.dispatcher.add(TextHandler(stop_everything, patterns=[STOP_ALL], name="stop_all"))
    bot.dispatcher.add(TextHandler(start_again, patterns=[START_ALL], name="start_all"))
    bot.dispatcher.add_intent("remind", offer)
