"""Closing polls that were opened with `--close-after N` minutes, in the lease holder.

A sweep every second (a job of the runtime's one APScheduler job queue) closes every open poll whose time is up, so a poll due to
close while no process ran is closed at the next start, never forgotten.
"""
from __future__ import annotations

import logging
import time

from bot import polls, public_screens
from bot.logs import event as log_event

log = logging.getLogger(__name__)


def close_due(store, now: float | None = None) -> int:
    now = time.time() if now is None else now
    with store.write() as conn:
        ids = [row[0] for row in conn.execute(
            "UPDATE polls SET state = 'closed', closed_at = ? WHERE state = 'open' AND close_after_minutes IS NOT NULL "
            "AND opened_at + close_after_minutes * 60 <= ? RETURNING id", (now, now)).fetchall()]
        for poll_id in ids:
            public_screens.changed(conn, polls.RESULTS_SCREEN, poll_id)
    closed = len(ids)
    if closed:
        log_event(log, "polls.auto_closed", polls=closed)
    return closed


class PollCloser:
    every = 1.0

    def __init__(self, runtime):
        self.runtime = runtime

    def start(self) -> None:
        self.runtime.jobs.run_repeating(close_due, self.every, "close-polls", args=(self.runtime.store,))

    def stop(self) -> None:
        self.runtime.jobs.remove("close-polls")


def register(bot) -> None:
    bot.services.append(PollCloser(bot))
