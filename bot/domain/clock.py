"""The event's clock: moments as moderators read them, and where a day starts, in TIMEZONE (not UTC)."""
from __future__ import annotations

from datetime import datetime, tzinfo


def local_time(ts: float | None, tz: tzinfo) -> str:
    """A timestamp as moderators read it: in TIMEZONE, to the second ("-" for none)."""
    return datetime.fromtimestamp(ts, tz).strftime("%Y-%m-%d %H:%M:%S") if ts else "-"


def day_start(now: float, tz: tzinfo) -> float:
    """The Unix time of the midnight in TIMEZONE that began the day of `now` (in Bangkok, 17:00 UTC the day
    before)."""
    moment = datetime.fromtimestamp(now, tz)
    return moment.replace(hour=0, minute=0, second=0, microsecond=0).timestamp()
