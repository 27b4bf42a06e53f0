"""Reminders of sessions: when they are due, what they say, and who gets them (the job that sends them on time is
schedules/reminders.py).

For every session and every offset in REMINDER_OFFSETS (default 30 and 5 minutes) plus the start itself ("live
now"), one message per subscriber (subscriptions.reminded_of), exactly once: each carries the dedup key (session,
offset, start time, person). Inside the person's 24-hour window it goes as UPDATE; outside it only registered
participants get it, as a utility message (`session_reminder`, or `session_moved` when a session moved, from
content/message_templates.toml, filled with the session's title, its time in their language and its link).
"""
from __future__ import annotations

from datetime import datetime, timedelta
from typing import Callable

from ..messenger.outbox import enqueue
from ..messenger.replies import Buttons, Outgoing, Reply, Text, UrlButton
from . import subscriptions
from .agenda import Agenda, Session, span


def planned(agenda: Agenda, offsets: tuple[float, ...]) -> list[tuple[datetime, Session, float]]:
    """Every reminder the agenda calls for: (when, session, minutes before; 0 = it starts)."""
    out = []
    for session in agenda.sessions:
        for minutes in (*offsets, 0.0):
            out.append((session.start - timedelta(minutes=minutes), session, minutes))
    return sorted(out, key=lambda item: item[0])


def key(session: Session, minutes: float) -> str:
    """The reminder's name: its job's, its batch's and (with the PSID) its messages' dedup key."""
    return f"reminder:{session.id}:{minutes:g}:{session.start.timestamp():.0f}"


def moved_key(session: Session) -> str:
    return f"moved:{session.id}:{session.start.timestamp():.0f}"


def message(texts, session: Session, minutes: float, lang: str) -> Reply:
    """"Starts in N minutes" (minutes > 0), or "live now" with the live link's button."""
    if minutes:
        return Text(texts.get("reminder_soon", lang, minutes=f"{minutes:g}", title=session.title[lang],
                              when=span(session, lang)))
    text = texts.get("reminder_live", lang, title=session.title[lang])
    if session.live:
        return Buttons(text, [UrlButton(texts.get("schedule_watch", lang), session.live)])
    return Text(text)


def moved(texts, session: Session, lang: str) -> Reply:
    return Text(texts.get("reminder_moved", lang, title=session.title[lang], when=span(session, lang)))


def queue(conn, session: Session, batch: str, make: Callable[[str], Reply], template, base_url: str) -> int:
    """One message per person reminded of `session` (`make(lang)`), inside the caller's transaction; registered
    participants' carry `template`'s utility fallback. Returns how many were queued (a repeat queues none)."""
    link = session.live or f"{base_url}/agenda/{session.id}.ics"
    queued = 0
    for row in subscriptions.reminded_of(conn, session.id, session.topic):
        lang = row["language"]
        utility = None
        if row["registered"]:
            utility = template.fallback(lang, {"session": session.title[lang], "when": span(session, lang), "link": link})
        queued += enqueue(conn, row["psid"], [Outgoing(make(lang), intent="UPDATE", utility=utility,
                                                       dedup_key=f"{batch}:{row['psid']}")], batch=batch)
    return queued
