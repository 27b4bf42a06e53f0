"""One APScheduler 3.x scheduler for the whole bot, in the process that holds the runner lease.

In the spirit of python-telegram-bot's JobQueue: features (reminders, poll closing, scheduled broadcasts) add
their jobs to `runtime.jobs` when the runtime starts leading, instead of each starting a scheduler of its own.
One scheduler per lease holder means one run of every job however many gunicorn workers there are.

Every job coalesces and may run up to `GRACE` late: APScheduler's default misfire grace of 1 second would
silently drop a job that fell due while the process was restarting or busy.
"""
from __future__ import annotations

from datetime import datetime, timedelta, tzinfo
from typing import Callable

from apscheduler.jobstores.base import JobLookupError
from apscheduler.schedulers.background import BackgroundScheduler

GRACE = timedelta(minutes=15)


class JobQueue:
    def __init__(self, timezone: tzinfo):
        self.timezone = timezone
        self.scheduler: BackgroundScheduler | None = None

    @property
    def running(self) -> bool:
        return self.scheduler is not None

    def start(self) -> None:
        self.scheduler = BackgroundScheduler(timezone=self.timezone, job_defaults={
            "coalesce": True, "misfire_grace_time": int(GRACE.total_seconds()), "max_instances": 1})
        self.scheduler.start()

    def stop(self) -> None:
        if self.scheduler is not None:
            self.scheduler.shutdown(wait=False)
            self.scheduler = None

    def run_once(self, callback: Callable, when: datetime, name: str, args: tuple = ()) -> None:
        """Run `callback(*args)` at `when` (now if it is past); a job of the same name is replaced."""
        assert self.scheduler is not None, "the job queue runs only in the lease holder"
        now = datetime.now(self.timezone)
        self.scheduler.add_job(callback, "date", run_date=max(when, now), args=args, id=name, replace_existing=True)

    def run_repeating(self, callback: Callable, seconds: float, name: str, args: tuple = ()) -> None:
        assert self.scheduler is not None, "the job queue runs only in the lease holder"
        self.scheduler.add_job(callback, "interval", seconds=seconds, args=args, id=name, replace_existing=True)

    def remove(self, name: str) -> bool:
        if self.scheduler is None:
            return False
        try:
            self.scheduler.remove_job(name)
        except JobLookupError:
            return False
        return True

    def names(self, prefix: str = "") -> list[str]:
        if self.scheduler is None:
            return []
        return [job.id for job in self.scheduler.get_jobs() if job.id.startswith(prefix)]
