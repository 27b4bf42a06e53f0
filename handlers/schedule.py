"""The event's schedule in the chat, and as a calendar feed.

Takes: "ตารางงาน" / "กำหนดการ" / "schedule" typed and the `SCHEDULE` menu entry (the days as quick replies),
`SCHEDULE:DAY:<date>[:<from>]` (a day's sessions as a carousel of at most 10 cards, then "more"), "ตอนนี้" /
"now" and "ต่อไป" / "next" typed or tapped (from the current time in TIMEZONE).
Each card links to the session's calendar file (bot/screens/calendar.py).
"""
from __future__ import annotations

from datetime import date, datetime

from bot.domain.agenda import Agenda, Session, day_label, span
from bot.dispatcher import Context, MenuItem, PayloadHandler, TextHandler
from bot.domain.payloads import REMIND, SCHEDULE, SCHEDULE_DAY, SCHEDULE_NEXT, SCHEDULE_NOW
from bot.messenger.replies import Card, Cards, PostbackButton, QuickReply, Text, UrlButton
from bot.numbers import small_int
CARDS_PER_MESSAGE = 10
SCHEDULE_WORDS = r"ตารางงาน|ตาราง|กำหนดการ|ตารางกิจกรรม|ดูตารางงาน|schedule|agenda|programme|program|timetable"
NOW_WORDS = r"ตอนนี้|ตอนนี้มีอะไร|ตอนนี้จัดอะไรอยู่|now|what'?s on now|happening now|on now"
NEXT_WORDS = r"ต่อไป|ถัดไป|ช่วงต่อไป|ต่อไปมีอะไร|next|what'?s next|next session"


def agenda_of(ctx: Context) -> Agenda:
    return ctx.content["agenda"]


def navigation(ctx: Context, agenda: Agenda) -> list[QuickReply]:
    days = [QuickReply(day_label(d, ctx.lang), SCHEDULE_DAY.build(day=d.isoformat())) for d in agenda.days][:11]
    return days + [QuickReply(ctx.t("schedule_now_button"), SCHEDULE_NOW.build()),
                   QuickReply(ctx.t("schedule_next_button"), SCHEDULE_NEXT.build())]


def pick_day(ctx: Context) -> Text:
    agenda = agenda_of(ctx)
    text = ctx.t("schedule_pick_day")
    if agenda.note:
        text += "\n\n" + agenda.note[ctx.lang]
    return Text(text, quick_replies=navigation(ctx, agenda))


def card(ctx: Context, session: Session) -> Card:
    topic = ctx.t(f"topic_{session.topic}")
    buttons = [PostbackButton(ctx.t("remind_button"), REMIND.build(what="SESSION", target=session.id))]
    if session.live:
        buttons.append(UrlButton(ctx.t("schedule_watch"), session.live))
    buttons.append(UrlButton(ctx.t("schedule_calendar"), f"{ctx.settings.base_url}/agenda/{session.id}.ics"))
    return Card(session.title[ctx.lang], f"{span(session, ctx.lang)} · {topic}", buttons=buttons)


def show_day(ctx: Context):
    agenda = agenda_of(ctx)
    try:
        day = date.fromisoformat(ctx.match.day)
    except ValueError:
        return Text(ctx.t("unknown_choice"), quick_replies=navigation(ctx, agenda))
    sessions = agenda.on(day)
    start = small_int(ctx.match.start, 0, len(sessions) - 1) if ctx.match.start else 0
    if not sessions or start is None:
        return Text(ctx.t("unknown_choice"), quick_replies=navigation(ctx, agenda))
    shown = sessions[start:start + CARDS_PER_MESSAGE]
    more = []
    if start + CARDS_PER_MESSAGE < len(sessions):
        more = [QuickReply(ctx.t("schedule_more"),
                           SCHEDULE_DAY.build(day=day.isoformat(), start=start + CARDS_PER_MESSAGE))]
    return Cards([card(ctx, s) for s in shown], quick_replies=more + navigation(ctx, agenda))


def now_on(ctx: Context):
    agenda = agenda_of(ctx)
    running = agenda.now(datetime.fromtimestamp(ctx.now, agenda.tz))
    if not running:
        return [Text(ctx.t("schedule_now_none")), next_up(ctx)]
    return [Text(ctx.t("schedule_now")), Cards([card(ctx, s) for s in running[:CARDS_PER_MESSAGE]],
                                               quick_replies=navigation(ctx, agenda))]


def next_up(ctx: Context) -> Text | Cards:
    agenda = agenda_of(ctx)
    upcoming = agenda.next(datetime.fromtimestamp(ctx.now, agenda.tz))
    if upcoming is None:
        return Text(ctx.t("schedule_next_none"), quick_replies=navigation(ctx, agenda))
    return Cards([card(ctx, upcoming)], quick_replies=navigation(ctx, agenda))


def register(bot) -> None:
    bot.content.require_texts("schedule_pick_day", "schedule_now_none", "schedule_next_none", "topic_all")
    bot.dispatcher.add(PayloadHandler(SCHEDULE, pick_day))
    bot.dispatcher.add(PayloadHandler(SCHEDULE_DAY, show_day))
    bot.dispatcher.add(PayloadHandler(SCHEDULE_NOW, now_on))
    bot.dispatcher.add(PayloadHandler(SCHEDULE_NEXT, next_up))
    bot.dispatcher.add(TextHandler(pick_day, patterns=[SCHEDULE_WORDS], name="schedule_words"))
    bot.dispatcher.add(TextHandler(now_on, patterns=[NOW_WORDS], name="now_words"))
    bot.dispatcher.add(TextHandler(next_up, patterns=[NEXT_WORDS], name="next_words"))
    bot.dispatcher.add_menu_item(MenuItem(SCHEDULE.build(), {"th": "📅 ตารางงาน", "en": "📅 Schedule"}, order=30))
    bot.dispatcher.add_intent("schedule", pick_day)
    bot.dispatcher.add_intent("now", now_on)
    bot.dispatcher.add_intent("next", next_up)
