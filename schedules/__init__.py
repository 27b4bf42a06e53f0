"""Scheduled jobs, one module each: services of the lease holder on the runtime's one job queue (bot/job_queue.py).

    reminders.py    reminders before sessions, rebuilt when the agenda changes
    broadcasts.py   broadcasts sent on time, resumed after a crash, marked done or missed
    poll_closer.py  polls that close by themselves
    retention.py    personal data past RETENTION_DAYS, every hour
    templates.py    utility templates' statuses while Meta decides (and, in local mode, created at start)

Each exposes `register(bot)`, which adds its service to `bot.services`; what a job does to the data is the
domain's (bot/domain/).
"""
from __future__ import annotations

from . import broadcasts, poll_closer, reminders, retention, templates

MODULES = (reminders, poll_closer, broadcasts, templates, retention)


def register_all(bot) -> None:
    for module in MODULES:
        module.register(bot)
