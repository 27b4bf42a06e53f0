"""The dashboard's charts: what happened over time, bucketed in TIMEZONE, shaped for a chart (labels + series).

    charts(conn, texts, tz, now) -> {
        "registrations": {"labels": ["17 ก.ค.", ...], "series": [{"name": "1) สาธารณสุข / Public health",
                                                                  "data": [3, 0, ...]}, ...]},   # by day and topic
        "activity": {"labels": ["13:05", ...], "series": [{"name": "ข้อความ / Messages", "data": [...]},
                                                           {"name": "โหวต / Votes", "data": [...]}, ...]},  # per minute
        "misses": {"labels": [...days], "series": [{"name": ..., "data": [...]}]},
        "broadcasts": {"labels": ["#3", ...], "series": [{"name": "ส่งแล้ว / Sent", "data": [...]}, ...]},
    }

Each figure is read from its table's owner. The per-minute series are `ACTIVITY`: a feature that counts things
during a stream adds its line there, with `times_since(conn, since)` giving the Unix times of its events.
"""
from __future__ import annotations

import time
from collections import Counter
from datetime import date, datetime, timedelta
from typing import Callable

from pythainlp.util import thai_strftime

from .. import inbox
from . import broadcasts, faq_misses, opinions, polls, questions, registrations
from .reports.labels import Labels

ACTIVITY_MINUTES = 60  # the activity chart: the last hour, minute by minute (a stream's length)
MISSES_DAYS = 14
ACTIVITY: tuple[tuple[str, str, Callable[..., list[float]]], ...] = (
    ("ข้อความ", "Messages", lambda conn, since: inbox.received_times(conn, since)),
    ("โหวต", "Votes", polls.vote_times),
    ("คำถามถึงวิทยากร", "Questions for the speakers", questions.asked_times),
    ("ความเห็น", "Opinion votes", opinions.vote_times),
    ("คำถามที่ตอบไม่ได้", "FAQ misses", faq_misses.times),
)


def _name(th: str, en: str) -> str:
    return th if th == en else f"{th} / {en}"


def _day(d: date) -> str:
    """"17 ก.ค." (the console's labels are short; the year is the event's)."""
    return thai_strftime(datetime(d.year, d.month, d.day), "%-d %b")


def _days(first: date, last: date) -> list[date]:
    return [first + timedelta(days=i) for i in range((last - first).days + 1)]


def charts(conn, texts, tz, now: float | None = None) -> dict:
    now = time.time() if now is None else now
    return {"registrations": registrations_by_day(conn, texts, tz), "activity": activity(conn, tz, now),
            "misses": misses_by_day(conn, tz, now), "broadcasts": broadcast_delivery(conn)}


def registrations_by_day(conn, texts, tz) -> dict:
    rows = registrations.created_times(conn)
    if not rows:
        return {"labels": [], "series": []}
    counts = Counter((datetime.fromtimestamp(at, tz).date(), topic) for at, topic in rows)
    days = _days(min(d for d, _ in counts), max(d for d, _ in counts))
    labels = Labels(texts)
    series = []
    for topic in sorted({t for _, t in counts}, key=lambda t: (not t.isdigit(), t)):
        name = labels.topic(topic)
        series.append({"name": _name(name.th, name.en), "data": [counts[(d, topic)] for d in days]})
    return {"labels": [_day(d) for d in days], "series": series}


def activity(conn, tz, now: float) -> dict:
    start = (now // 60 - ACTIVITY_MINUTES + 1) * 60
    labels = [datetime.fromtimestamp(start + 60 * i, tz).strftime("%H:%M") for i in range(ACTIVITY_MINUTES)]
    series = []
    for th, en, times_since in ACTIVITY:
        per_minute = Counter(int((t - start) // 60) for t in times_since(conn, start))
        series.append({"name": _name(th, en), "data": [per_minute[i] for i in range(ACTIVITY_MINUTES)]})
    return {"labels": labels, "series": series}


def misses_by_day(conn, tz, now: float) -> dict:
    today = datetime.fromtimestamp(now, tz).date()
    days = _days(today - timedelta(days=MISSES_DAYS - 1), today)
    since = datetime(days[0].year, days[0].month, days[0].day, tzinfo=tz).timestamp()
    counts = Counter(datetime.fromtimestamp(t, tz).date() for t in faq_misses.times(conn, since))
    return {"labels": [_day(d) for d in days],
            "series": [{"name": _name("คำถามที่ตอบไม่ได้", "FAQ misses"), "data": [counts[d] for d in days]}]}


def broadcast_delivery(conn, limit: int = 12) -> dict:
    items = [(b, broadcasts.progress(conn, b.id)) for b in reversed(broadcasts.recent(conn, limit)) if b.state != "draft"]
    parts = (("ส่งแล้ว", "Sent", "sent"), ("ไม่สำเร็จ", "Failed", "failed"), ("ข้าม", "Skipped", "skipped"),
             ("รอส่ง", "Pending", "pending"))
    return {"labels": [f"#{b.id}" for b, _ in items],
            "series": [{"name": _name(th, en), "data": [getattr(p, key) for _, p in items]} for th, en, key in parts]}
