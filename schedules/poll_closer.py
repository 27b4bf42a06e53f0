"""Closing polls that were opened with `--close-after N` minutes, in the lease holder.

A sweep every second (a job of the runtime's one APScheduler job queue) closes every open poll whose time is up, so a poll due to
close while no process ran is closed at the next start, never forgotten.
"""
from __future__ import annotations

import logging

from bot.domain import polls
from bot.logs import event as log_event

log = logging.getLogger(__name__)


def close_due(store) -> int:
    closed = len(polls.close_due(store))
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
