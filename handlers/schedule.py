"""The event's schedule in the chat, and as a calendar feed.

Takes: "ตารางงาน" / "กำหนดการ" / "schedule" typed and the `SCHEDULE` menu entry (the days as quick replies),
`SCHEDULE:DAY:<date>[:<from>]` (a day's sessions as a carousel of at most 10 cards, then "more"), the schedule
asked for in words with a day named ("วันที่ 19 มีอะไรบ้างคะ", "what's on the 25th": that day's cards), "ตอนนี้" /
"now" and "ต่อไป" / "next" typed or tapped (from the current time in TIMEZONE).
Each card links to the session's calendar file (bot/screens/calendar.py).
"""
from __future__ import annotations

import re
from datetime import date, datetime

from bot.domain.agenda import Agenda, Session, day_label, named_day, span
from bot.dispatcher import Context, MenuItem, PayloadHandler, Priority, TextHandler
from bot.domain.payloads import REMIND, SCHEDULE, SCHEDULE_DAY, SCHEDULE_NEXT, SCHEDULE_NOW
from bot.messenger.replies import Card, Cards, PostbackButton, QuickReply, Text, UrlButton
from bot.numbers import small_int
CARDS_PER_MESSAGE = 10
SCHEDULE_WORDS = r"ตารางงาน|ตาราง|กำหนดการ|ตารางกิจกรรม|ดูตารางงาน|schedule|agenda|programme|program|timetable"
NOW_WORDS = r"ตอนนี้|ตอนนี้มีอะไร|ตอนนี้จัดอะไรอยู่|now|what'?s on now|happening now|on now"
NEXT_WORDS = r"ต่อไป|ถัดไป|ช่วงต่อไป|ต่อไปมีอะไร|next|what'?s next|next session"
# What is on a day, asked with the day named (searched, not matched whole: see asks_about_a_day).
WHATS_ON = re.compile(r"มีอะไร|อะไรบ้าง|จัดอะไร|ทำอะไร|กิจกรรม|ตาราง|กำหนดการ|หัวข้อ|ใครพูด|what'?s on|what is on|"
                      r"what'?s happening|what happens|going on|sessions?|talks?|programme|program|"
                      r"schedule|agenda|timetable|plan")
# What is on at this moment, asked in words the step is not sure of ("what are they talking about at the moment").
AT_THE_MOMENT = re.compile(r"ตอนนี้|ขณะนี้|เดี๋ยวนี้|at the moment|right now|currently|\bnow\b")
TALKING_ABOUT = re.compile(WHATS_ON.pattern + r"|talking about|talk about|discussing|พูดเรื่อง|คุยเรื่อง|พูดถึง|"
                           r"คุยอะไร|พูดอะไร|ไลฟ์|live")


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


def is_over(ctx: Context, session: Session) -> bool:
    """The session has ended (by the event's clock): nothing left to remind anyone of."""
    return session.end.timestamp() <= ctx.now


def card(ctx: Context, session: Session) -> Card:
    topic = ctx.t(f"topic_{session.topic}")
    buttons = [] if is_over(ctx, session) else [PostbackButton(ctx.t("remind_button"),
                                                               REMIND.build(what="SESSION", target=session.id))]
    if session.live:
        buttons.append(UrlButton(ctx.t("schedule_watch"), session.live))
    buttons.append(UrlButton(ctx.t("schedule_calendar"), f"{ctx.settings.base_url}/agenda/{session.id}.ics"))
    over = f" · {ctx.t('schedule_over')}" if is_over(ctx, session) else ""
    return Card(session.title[ctx.lang], f"{span(session, ctx.lang)} · {topic}{over}", buttons=buttons)


def show_day(ctx: Context):
    agenda = agenda_of(ctx)
    try:
        day = date.fromisoformat(ctx.match.day)
    except ValueError:
        return Text(ctx.t("unknown_choice"), quick_replies=navigation(ctx, agenda))
    return day_cards(ctx, agenda, day, ctx.match.start)


def day_cards(ctx: Context, agenda: Agenda, day: date, start: str | None = None):
    """A day's sessions as cards (at most 10, then "more"), from the `start`-th."""
    sessions = agenda.on(day)
    start = small_int(start, 0, len(sessions) - 1) if start else 0
    if not sessions or start is None:
        return Text(ctx.t("unknown_choice"), quick_replies=navigation(ctx, agenda))
    shown = sessions[start:start + CARDS_PER_MESSAGE]
    more = []
    if start + CARDS_PER_MESSAGE < len(sessions):
        more = [QuickReply(ctx.t("schedule_more"),
                           SCHEDULE_DAY.build(day=day.isoformat(), start=start + CARDS_PER_MESSAGE))]
    return Cards([card(ctx, s) for s in shown], quick_replies=more + navigation(ctx, agenda))


def day_named(ctx: Context, bare_numbers: bool) -> date | None:
    """The agenda's day the person's words name ("วันที่ 19", "the 25th", "วันเสาร์" when one Saturday has sessions)."""
    agenda = agenda_of(ctx)
    today = datetime.fromtimestamp(ctx.now, agenda.tz).date()
    return named_day(ctx.event.text or "", agenda.days, today, bare_numbers=bare_numbers)


def named_day_cards(ctx: Context, day: date):
    """The day the person named, said back ("📅 The sessions on Sun 19 Jul"), and its sessions."""
    label = day_label(day, ctx.lang)
    return [Text(ctx.t("schedule_day_named", day=f" {label}" if ctx.lang == "th" else label)),
            day_cards(ctx, agenda_of(ctx), day)]


def schedule_asked(ctx: Context):
    """The schedule asked for in words: the day named opens at once ("ขอตารางวันที่ 19"), else the days to pick."""
    day = day_named(ctx, bare_numbers=True) if ctx.event.text else None
    return named_day_cards(ctx, day) if day else pick_day(ctx)


def asks_about_a_day(text: str, ctx: Context) -> bool:
    """"วันที่ 19 มีอะไรบ้างคะ", "what's on the 25th": a day of the agenda and what is on it, asked in words the
    understanding step is not sure of (a confident reading of anything else, "งานวันที่ 19 จัดที่ไหน", wins)."""
    reading = ctx.reading
    if reading.verdict == "answer" and not reading.asks_for("schedule"):
        return False
    return bool(WHATS_ON.search(text)) and day_named(ctx, bare_numbers=False) is not None


def asks_about_now(text: str, ctx: Context) -> bool:
    """"what are they talking about at the moment": what is on now, in words the understanding step is not sure of
    (a confident reading, "ตอนนี้สมัครได้ไหม", wins)."""
    reading = ctx.reading
    return (reading.verdict != "answer" and bool(AT_THE_MOMENT.search(text)) and bool(TALKING_ABOUT.search(text))
            and reading.reason != "no words")


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
    bot.content.require_texts("schedule_pick_day", "schedule_day_named", "schedule_now_none", "schedule_next_none", "topic_all")
    bot.dispatcher.add(PayloadHandler(SCHEDULE, pick_day))
    bot.dispatcher.add(PayloadHandler(SCHEDULE_DAY, show_day))
    bot.dispatcher.add(PayloadHandler(SCHEDULE_NOW, now_on))
    bot.dispatcher.add(PayloadHandler(SCHEDULE_NEXT, next_up))
    bot.dispatcher.add(TextHandler(pick_day, patterns=[SCHEDULE_WORDS], name="schedule_words"))
    bot.dispatcher.add(TextHandler(now_on, patterns=[NOW_WORDS], name="now_words"))
    bot.dispatcher.add(TextHandler(next_up, patterns=[NEXT_WORDS], name="next_words"))
    bot.dispatcher.add_menu_item(MenuItem(SCHEDULE.build(), {"th": "📅 ตารางงาน", "en": "📅 Schedule"}, order=30))
    bot.dispatcher.add_intent("schedule", schedule_asked)
    bot.dispatcher.add(TextHandler(lambda ctx: named_day_cards(ctx, day_named(ctx, bare_numbers=False)),
                                   predicate=asks_about_a_day, name="day_named"), Priority.UNDERSTOOD)
    bot.dispatcher.add(TextHandler(now_on, predicate=asks_about_now, name="now_asked"), Priority.UNDERSTOOD)
    bot.dispatcher.add_intent("now", now_on)
    bot.dispatcher.add_intent("next", next_up)
