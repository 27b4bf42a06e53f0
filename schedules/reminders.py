"""Reminders before sessions, sent by APScheduler 3.x in the process that holds the runner lease (one scheduler
however many gunicorn workers run).

For every session and every offset in REMINDER_OFFSETS (default 30 and 5 minutes) plus the start itself ("live
now"), a job puts one message per subscriber into the outbox, in one transaction (what the message says and who
gets it: bot/domain/reminders.py). Exactly once:
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
from datetime import datetime

from bot.domain import reminders
from bot.domain.agenda import Agenda, Session
from bot.job_queue import GRACE
from bot.logs import event as log_event

log = logging.getLogger(__name__)


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
        for at, session, minutes in reminders.planned(agenda, self.runtime.settings.reminder_offsets):
            if at < now - GRACE:
                continue  # long past
            self.jobs.run_once(self.fire, at, reminders.key(session, minutes),
                               args=(session.id, minutes, session.start.timestamp()))
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

    def _queue(self, session: Session, batch: str, make, template_id: str) -> int:
        """One message per person reminded, in one transaction (bot/domain/reminders.py); wakes the sender."""
        template = self.runtime.content["message_templates"][template_id]
        with self.runtime.store.write() as conn:
            queued = reminders.queue(conn, session, batch, make, template, self.runtime.settings.base_url)
        if queued:
            self.runtime.wake_sender()
        return queued

    def fire(self, session_id: str, minutes: float, start_ts: float) -> None:
        session = self._agenda.get(session_id) if self._agenda else None
        if session is None or session.start.timestamp() != start_ts:
            return  # removed or moved since this job was planned
        texts = self.runtime.content.texts
        queued = self._queue(session, reminders.key(session, minutes),
                             lambda lang: reminders.message(texts, session, minutes, lang), "session_reminder")
        log_event(log, "reminders.fired", session=session.id, minutes=minutes, queued=queued)

    def announce_move(self, session: Session) -> None:
        texts = self.runtime.content.texts
        self._queue(session, reminders.moved_key(session), lambda lang: reminders.moved(texts, session, lang),
                    "session_moved")


def register(bot) -> None:
    bot.services.append(ReminderScheduler(bot))
