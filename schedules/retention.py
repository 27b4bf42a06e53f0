"""Retention: personal data older than RETENTION_DAYS (default 365, what the consent text promises: "at most 1
year") is removed by a job of the lease holder, every hour, and by `flask --app app purge`.

What "older" means is each table's own declaration (bot/privacy.py): a registration counts from its consent,
a message from when it was received, a person from when they were last seen; a form left idle is gone after
a day, a failed moderator log-in after a day. Votes of a poll closed before the cutoff keep their counts and
lose their voter keys. The job logs what it removed as counts per table, never what the rows said.

`flask --app app purge [--dry-run] [--days N]` (bot/cli/privacy.py) does the same on demand.
"""
from __future__ import annotations

from datetime import datetime, timedelta


class RetentionJob:
    """A service of the lease holder (see BotRuntime.services): the purge, on the job queue."""

    every = 3600.0  # seconds between purges
    first_after = 60.0  # the first one, after a start (not during the rush of a restart)

    def __init__(self, runtime):
        self.runtime = runtime

    def start(self) -> None:
        jobs = self.runtime.jobs
        jobs.run_repeating(self.run, self.every, "retention:purge")
        jobs.run_once(self.run, datetime.now(jobs.timezone) + timedelta(seconds=self.first_after), "retention:first")

    def stop(self) -> None:
        for name in self.runtime.jobs.names("retention:"):
            self.runtime.jobs.remove(name)

    def run(self) -> dict[str, int]:
        return self.runtime.purge(by="job")


def register(bot) -> None:
    bot.services.append(RetentionJob(bot))
