"""Sending broadcasts on time, in the lease holder, and the operator commands for them.

The console, Messenger moderators and `flask --app app broadcast` only write a broadcast's state to the
database (any process may); the lease holder's job queue does the rest:
- a date job per scheduled broadcast fires its fan-out at the minute it was set for;
- a sweep every second starts what is due now ("send now" from a web worker), resumes a fan-out a killed
  process left half done, marks finished broadcasts done, and marks `missed` a scheduled time that passed
  more than the grace ago while nothing ran.
"""
from __future__ import annotations

import logging
import time
from datetime import datetime

from bot.domain import broadcasts
from bot.job_queue import GRACE
from bot.logs import event as log_event

log = logging.getLogger(__name__)


class BroadcastScheduler:
    """A service of the lease holder (see BotRuntime.services)."""

    sweep_every = 0.5  # "send now" from a web worker or the CLI starts within half a second

    def __init__(self, runtime):
        self.runtime = runtime
        self.jobs = runtime.jobs

    def start(self) -> None:
        self.jobs.run_repeating(self.sweep, self.sweep_every, "broadcasts:sweep")

    def stop(self) -> None:
        for name in self.jobs.names("broadcast"):
            self.jobs.remove(name)

    def sweep(self) -> None:
        store = self.runtime.store
        broadcasts.mark_missed(store, GRACE.total_seconds())
        now = time.time()
        rows = broadcasts.active(store.conn)
        planned = set(self.jobs.names("broadcast:"))
        for row in rows:
            name = f"broadcast:{row['id']}"
            if row["state"] == "sending" or row["scheduled_at"] <= now:
                self.run(row["id"])
            elif name not in planned:
                at = datetime.fromtimestamp(row["scheduled_at"], self.runtime.settings.tz)
                self.jobs.run_once(self.run, at, name, args=(row["id"],))
            planned.discard(name)
        for name in planned:  # cancelled or rescheduled meanwhile
            self.jobs.remove(name)
        for broadcast_id in broadcasts.finish_completed(store):
            log_event(log, "broadcast.done", broadcast=broadcast_id)

    def run(self, broadcast_id: int) -> None:
        """Fan out (or finish fanning out) one broadcast, waking the sender after every chunk."""
        agenda, templates = self.runtime.content["agenda"], self.runtime.content["message_templates"]
        started = time.time()
        while broadcasts.fan_out_chunk(self.runtime.store, broadcast_id, agenda, templates=templates):
            self.runtime.wake_sender()
        self.runtime.wake_sender()
        log_event(log, "broadcast.fanned_out", broadcast=broadcast_id, seconds=round(time.time() - started, 3))


def register(bot) -> None:
    bot.services.append(BroadcastScheduler(bot))
