"""The agenda as a calendar feed: `GET /agenda.ics` (every session) and `GET /agenda/<id>.ics` (one), RFC 5545 with
stable UIDs and time zones, built with the `icalendar` library. The schedule's cards in the chat link to them.
"""
from __future__ import annotations

from datetime import datetime, timezone

from flask import Blueprint, Response, abort
from icalendar import Calendar
from icalendar import Event as CalendarEvent

from ..domain.agenda import Agenda, Session
from ..web import runtime

UID_DOMAIN = "opengov-event-bot"
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
    agenda = runtime().content["agenda"]
    return _ics(calendar(agenda, list(agenda.sessions)), "agenda")


@bp.get("/agenda/<session_id>.ics")
def one_session(session_id: str):
    agenda = runtime().content["agenda"]
    session = agenda.get(session_id)
    if session is None:
        abort(404)
    return _ics(calendar(agenda, [session]), session_id)
