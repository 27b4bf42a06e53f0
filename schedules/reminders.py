"""Reminders before sessions, sent by APScheduler 3.x in the process that holds the runner lease (one scheduler
however many gunicorn workers run).

For every session and every offset in REMINDER_OFFSETS (default 30 and 5 minutes) plus the start itself ("live
now"), a job puts one message per subscriber into the outbox, in one transaction. Exactly once:
- each message has a dedup key (session, offset, start time, person), so a job that runs again after a restart,
  or twice, queues nothing new;
- jobs are rebuilt from the agenda at start; one whose time passed while no process ran is still run if it is
  less than GRACE late (APScheduler's default misfire grace of 1 second would drop it), and coalesced;
- when the agenda changes (reload-content), jobs are rebuilt: a session that moved tells its subscribers the
  new time and is reminded at the new time; a removed one is not reminded.
Messenger's rules: inside the person's 24-hour window the message goes as UPDATE; outside it only registered
participants get it, as a utility message (the `session_reminder` or `session_moved` template of
content/message_templates.toml, filled with the session's title, its date and time in the person's language and
its link; the CONFIRMED_EVENT_UPDATE tag was retired on 27 April 2026). The outbox records everyone else as
outside_window, and a registered participant whose template is not approved as outside_window with the reason
"no approved template".
"""
from __future__ import annotations

import logging
from datetime import datetime, timedelta

import click
from flask import current_app
from flask.cli import with_appcontext

from bot.agenda import Agenda, Session, span
from bot.job_queue import GRACE
from bot.logs import event as log_event
from bot.messenger.outbox import enqueue
from bot.messenger.replies import Buttons, Outgoing, Text, UrlButton

log = logging.getLogger(__name__)


def planned(agenda: Agenda, offsets: tuple[float, ...]) -> list[tuple[datetime, Session, float]]:
    """Every reminder the agenda calls for: (when, session, minutes before; 0 = it starts)."""
    out = []
    for session in agenda.sessions:
        for minutes in (*offsets, 0.0):
            out.append((session.start - timedelta(minutes=minutes), session, minutes))
    return sorted(out, key=lambda item: item[0])


def subscribers(conn, session: Session) -> list:
    return conn.execute(
        "SELECT DISTINCT s.psid, u.language, r.id IS NOT NULL AS registered FROM subscriptions s "
        "LEFT JOIN users u ON u.psid = s.psid LEFT JOIN registrations r ON r.psid = s.psid AND r.status = 'registered' "
        "WHERE (s.kind = 'session' AND s.target = ?) OR (s.kind = 'topic' AND s.target = ?) OR s.kind = 'all'",
        (session.id, session.topic)).fetchall()


class ReminderScheduler:
    """A service of the lease holder (see BotRuntime.services)."""

    check_content_every = 2.0

    def __init__(self, runtime):
        self.runtime = runtime
        self.jobs = runtime.jobs
        self._agenda: Agenda | None = None

    def start(self) -> None:
        self._agenda = None
        self._rebuild(self.runtime.content["agenda"], announce_moves=False)
        self.jobs.run_repeating(self._watch_content, self.check_content_every, "reminders:watch-content")

    def stop(self) -> None:
        for name in self.jobs.names("reminder"):
            self.jobs.remove(name)

    # -- jobs -------------------------------------------------------------------------------------------------
    def _rebuild(self, agenda: Agenda, announce_moves: bool) -> None:
        old, self._agenda = self._agenda, agenda
        for name in self.jobs.names("reminder:"):
            self.jobs.remove(name)
        now = datetime.now(agenda.tz)
        for at, session, minutes in planned(agenda, self.runtime.settings.reminder_offsets):
            if at < now - GRACE:
                continue  # long past
            start_ts = session.start.timestamp()
            self.jobs.run_once(self.fire, at, f"reminder:{session.id}:{minutes:g}:{start_ts:.0f}",
                               args=(session.id, minutes, start_ts))
        if announce_moves and old is not None:
            for session in agenda.sessions:
                before = old.get(session.id)
                if before is not None and before.start != session.start and session.start > now:
                    self.announce_move(session)

    def _watch_content(self) -> None:
        agenda = self.runtime.content["agenda"]
        if agenda is not self._agenda:  # reload-content swapped the agenda
            log_event(log, "reminders.rescheduled", sessions=len(agenda.sessions))
            self._rebuild(agenda, announce_moves=True)

    def _queue(self, session: Session, key: str, make, template_id: str = "session_reminder") -> int:
        """One message per subscriber, in one transaction; returns how many were queued.

        Registered participants' messages carry the utility fallback the outbox sends if they are outside their
        window when it gets to them."""
        store, queued = self.runtime.store, 0
        template = self.runtime.content["message_templates"][template_id]
        link = session.live or f"{self.runtime.settings.base_url}/agenda/{session.id}.ics"
        with store.write() as conn:
            for row in subscribers(conn, session):
                lang = row["language"] or "th"
                reply = make(lang)
                utility = None
                if row["registered"]:
                    utility = template.fallback(lang, {"session": session.title[lang], "when": span(session, lang),
                                                       "link": link})
                queued += enqueue(conn, row["psid"], [Outgoing(reply, intent="UPDATE", utility=utility,
                                                               dedup_key=f"{key}:{row['psid']}")], batch=key)
        if queued:
            self.runtime.wake_sender()
        return queued

    def fire(self, session_id: str, minutes: float, start_ts: float) -> None:
        session = self._agenda.get(session_id) if self._agenda else None
        if session is None or session.start.timestamp() != start_ts:
            return  # removed or moved since this job was planned
        texts = self.runtime.content.texts

        def make(lang: str):
            if minutes:
                return Text(texts.get("reminder_soon", lang, minutes=f"{minutes:g}", title=session.title[lang],
                                      when=span(session, lang)))
            text = texts.get("reminder_live", lang, title=session.title[lang])
            if session.live:
                return Buttons(text, [UrlButton(texts.get("schedule_watch", lang), session.live)])
            return Text(text)

        queued = self._queue(session, f"reminder:{session.id}:{minutes:g}:{start_ts:.0f}", make)
        log_event(log, "reminders.fired", session=session.id, minutes=minutes, queued=queued)

    def announce_move(self, session: Session) -> None:
        texts = self.runtime.content.texts
        self._queue(session, f"moved:{session.id}:{session.start.timestamp():.0f}",
                    lambda lang: Text(texts.get("reminder_moved", lang, title=session.title[lang], when=span(session, lang))),
                    template_id="session_moved")


@click.command("reminders")
@with_appcontext
def pending_reminders() -> None:
    """The reminders still to be sent, with their times (TIMEZONE) and how many people follow each session."""
    bot = current_app.extensions["bot"]
    agenda: Agenda = bot.content["agenda"]
    now = datetime.now(agenda.tz)
    upcoming = [(at, s, m) for at, s, m in planned(agenda, bot.settings.reminder_offsets) if at >= now]
    if not upcoming:
        click.echo("no reminders pending: every session has started")
        return
    conn = bot.store.conn
    for at, session, minutes in upcoming:
        people = len(subscribers(conn, session))
        kind = f"{minutes:g} min before" if minutes else "live now"
        click.echo(f"{at:%Y-%m-%d %H:%M:%S}  {session.id:<20} {kind:<16} {people} subscriber(s)")


def register(bot) -> None:
    bot.services.append(ReminderScheduler(bot))
    bot.commands.append(pending_reminders)
