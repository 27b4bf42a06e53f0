"""The event's schedule in the chat, and as a calendar feed.

Takes: "ตารางงาน" / "กำหนดการ" / "schedule" typed and the `SCHEDULE` menu entry (the days as quick replies),
`SCHEDULE:DAY:<date>[:<from>]` (a day's sessions as a carousel of at most 10 cards, then "more"), "ตอนนี้" /
"now" and "ต่อไป" / "next" typed or tapped (from the current time in TIMEZONE).
Serves: `GET /agenda.ics` (every session) and `GET /agenda/<id>.ics` (one), RFC 5545 with stable UIDs and
time zones, built with the `icalendar` library; each card links to its own.
"""
from __future__ import annotations

from datetime import date, datetime, timezone

import click
from flask import Blueprint, Response, abort, current_app
from flask.cli import with_appcontext
from icalendar import Calendar
from icalendar import Event as CalendarEvent

from bot.agenda import Agenda, Session, day_label, span
from bot.numbers import small_int
from bot.dispatcher import Context, MenuItem, PayloadHandler, TextHandler
from bot.messenger.replies import Card, Cards, PostbackButton, QuickReply, Text, UrlButton

SCHEDULE = "SCHEDULE"
DAY = "SCHEDULE:DAY:"
NOW, NEXT = "SCHEDULE:NOW", "SCHEDULE:NEXT"
CARDS_PER_MESSAGE = 10
SCHEDULE_WORDS = r"ตารางงาน|ตาราง|กำหนดการ|ตารางกิจกรรม|ดูตารางงาน|schedule|agenda|programme|program|timetable"
NOW_WORDS = r"ตอนนี้|ตอนนี้มีอะไร|ตอนนี้จัดอะไรอยู่|now|what'?s on now|happening now|on now"
NEXT_WORDS = r"ต่อไป|ถัดไป|ช่วงต่อไป|ต่อไปมีอะไร|next|what'?s next|next session"
UID_DOMAIN = "opengov-event-bot"


def agenda_of(ctx: Context) -> Agenda:
    return ctx.content["agenda"]


def navigation(ctx: Context, agenda: Agenda) -> list[QuickReply]:
    days = [QuickReply(day_label(d, ctx.lang), f"{DAY}{d.isoformat()}") for d in agenda.days][:11]
    return days + [QuickReply(ctx.t("schedule_now_button"), NOW), QuickReply(ctx.t("schedule_next_button"), NEXT)]


def pick_day(ctx: Context) -> Text:
    agenda = agenda_of(ctx)
    text = ctx.t("schedule_pick_day")
    if agenda.note:
        text += "\n\n" + agenda.note[ctx.lang]
    return Text(text, quick_replies=navigation(ctx, agenda))


def card(ctx: Context, session: Session) -> Card:
    topic = ctx.t(f"topic_{session.topic}")
    buttons = [PostbackButton(ctx.t("remind_button"), f"REMIND:SESSION:{session.id}")]
    if session.live:
        buttons.append(UrlButton(ctx.t("schedule_watch"), session.live))
    buttons.append(UrlButton(ctx.t("schedule_calendar"), f"{ctx.settings.base_url}/agenda/{session.id}.ics"))
    return Card(session.title[ctx.lang], f"{span(session, ctx.lang)} · {topic}", buttons=buttons)


def show_day(ctx: Context):
    agenda = agenda_of(ctx)
    parts = ctx.event.payload[len(DAY):].split(":")
    try:
        day = date.fromisoformat(parts[0])
    except ValueError:
        return Text(ctx.t("unknown_choice"), quick_replies=navigation(ctx, agenda))
    sessions = agenda.on(day)
    start = small_int(parts[1], 0, len(sessions) - 1) if len(parts) > 1 else 0
    if not sessions or start is None:
        return Text(ctx.t("unknown_choice"), quick_replies=navigation(ctx, agenda))
    shown = sessions[start:start + CARDS_PER_MESSAGE]
    more = []
    if start + CARDS_PER_MESSAGE < len(sessions):
        more = [QuickReply(ctx.t("schedule_more"), f"{DAY}{day.isoformat()}:{start + CARDS_PER_MESSAGE}")]
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


# -- calendar feed ----------------------------------------------------------------------------------------
bp = Blueprint("agenda", __name__)


def calendar(agenda: Agenda, sessions: list[Session]) -> bytes:
    cal = Calendar()
    cal.add("prodid", "-//OpenGov Event Bot//MY BETTER COUNTRY HACKATHON #4//TH")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("x-wr-calname", "MY BETTER COUNTRY HACKATHON #4")
    cal.add("x-wr-timezone", str(agenda.tz))
    stamp = datetime.now(timezone.utc)
    for s in sessions:
        event = CalendarEvent()
        event.add("uid", f"{s.id}@{UID_DOMAIN}")  # stable: a calendar app updates the event, never duplicates it
        event.add("dtstamp", stamp)
        event.add("dtstart", s.start)
        event.add("dtend", s.end)
        event.add("summary", f"{s.title['th']} / {s.title['en']}")
        lines = [s.description["th"], s.description["en"]]
        if s.speakers:
            lines.append(", ".join(s.speakers))
        if agenda.note:
            lines += [agenda.note["th"], agenda.note["en"]]
        if s.live:
            lines.append(s.live)
            event.add("url", s.live)
            event.add("location", s.live)
        event.add("description", "\n".join(lines))
        cal.add_component(event)
    cal.add_missing_timezones()
    return cal.to_ical()


def _ics(body: bytes, name: str) -> Response:
    return Response(body, mimetype="text/calendar", headers={
        "Content-Disposition": f'attachment; filename="{name}.ics"', "Cache-Control": "public, max-age=300"})


@bp.get("/agenda.ics")
def all_sessions():
    agenda = current_app.extensions["bot"].content["agenda"]
    return _ics(calendar(agenda, list(agenda.sessions)), "agenda")


@bp.get("/agenda/<session_id>.ics")
def one_session(session_id: str):
    agenda = current_app.extensions["bot"].content["agenda"]
    session = agenda.get(session_id)
    if session is None:
        abort(404)
    return _ics(calendar(agenda, [session]), session_id)


@click.command("agenda")
@with_appcontext
def print_agenda() -> None:
    """Print the agenda, day by day, in TIMEZONE."""
    agenda = current_app.extensions["bot"].content["agenda"]
    if agenda.note:
        click.echo(agenda.note["en"])
    for day in agenda.days:
        click.echo(f"\n{day_label(day, 'en')} ({day_label(day, 'th')})")
        for s in agenda.on(day):
            click.echo(f"  {s.start:%H:%M}-{s.end:%H:%M}  {s.id:<20} topic {s.topic:<4} {s.title['en']}")


def register(bot) -> None:
    bot.content.add_loader("agenda", lambda directory: Agenda.load(directory, bot.settings.tz))
    bot.content.require_texts("schedule_pick_day", "schedule_now_none", "schedule_next_none", "topic_all")
    bot.dispatcher.add(PayloadHandler(SCHEDULE, pick_day), group=20)
    bot.dispatcher.add(PayloadHandler(DAY, show_day), group=20)
    bot.dispatcher.add(PayloadHandler(NOW, now_on), group=20)
    bot.dispatcher.add(PayloadHandler(NEXT, next_up), group=20)
    bot.dispatcher.add(TextHandler(pick_day, patterns=[SCHEDULE_WORDS], name="schedule_words"), group=20)
    bot.dispatcher.add(TextHandler(now_on, patterns=[NOW_WORDS], name="now_words"), group=20)
    bot.dispatcher.add(TextHandler(next_up, patterns=[NEXT_WORDS], name="next_words"), group=20)
    bot.dispatcher.add_menu_item(MenuItem(SCHEDULE, {"th": "📅 ตารางงาน", "en": "📅 Schedule"}, order=30))
    bot.dispatcher.add_intent("schedule", pick_day)
    bot.dispatcher.add_intent("now", now_on)
    bot.dispatcher.add_intent("next", next_up)
    bot.blueprints.append(bp)
    bot.commands.append(print_agenda)
