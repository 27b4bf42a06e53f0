"""The agenda organisers write in content/agenda.toml: sessions, validated at load, and the questions the chat
asks of it (which days, what is on a day, what is on now, what is next), with times as people read them.

Times without an offset are in TIMEZONE (Asia/Bangkok by default). Thai readers get Thai dates with the
Buddhist year ("17 ก.ค. 2563 เวลา 13:00 น.", PyThaiNLP's `thai_strftime`); English readers get "17 Jul 2020, 13:00".
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from pythainlp.util import thai_strftime

from ..content import ContentError, bilingual, keyed_tables, read_toml

ID = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
# The event's topics (its four challenges): people register for one, follow one's reminders, broadcast to one.
TOPICS = ("1", "2", "3", "4")
SESSION_TOPICS = (*TOPICS, "all")  # a session is about one topic, or all of them


@dataclass(frozen=True)
class Session:
    id: str
    title: dict[str, str]
    description: dict[str, str]
    start: datetime
    end: datetime
    topic: str
    speakers: tuple[str, ...] = ()
    live: str | None = None

    @property
    def day(self) -> date:
        return self.start.date()


@dataclass(frozen=True)
class Agenda:
    sessions: tuple[Session, ...]  # by start time
    note: dict[str, str]
    tz: ZoneInfo

    @classmethod
    def load(cls, directory: Path, tz: ZoneInfo) -> "Agenda":
        path = Path(directory) / "agenda.toml"
        data = read_toml(path)
        note = bilingual(path, "note", data.get("note"), "note", required=False)
        sessions: dict[str, Session] = {}
        for sid, item in keyed_tables(path, data, "session", ID, "lower-case words joined by -"):
            start, end = _time(path, sid, item, "start", tz), _time(path, sid, item, "end", tz)
            if end <= start:
                raise ContentError(path, sid, "end must be after start")
            topic = str(item.get("topic", ""))
            if topic not in SESSION_TOPICS:
                raise ContentError(path, sid, f"topic must be one of {', '.join(SESSION_TOPICS)}, got {topic!r}")
            speakers = item.get("speakers", [])
            if not isinstance(speakers, list) or not all(isinstance(s, str) and s.strip() for s in speakers):
                raise ContentError(path, sid, "speakers must be a list of names")
            live = item.get("live")
            if live is not None and not (isinstance(live, str) and live.startswith(("https://", "http://"))):
                raise ContentError(path, sid, "live must be an http(s) link")
            sessions[sid] = Session(sid, bilingual(path, sid, item.get("title"), "title"),
                                    bilingual(path, sid, item.get("description"), "description"),
                                    start, end, topic, tuple(s.strip() for s in speakers), live)
        return cls(tuple(sorted(sessions.values(), key=lambda s: (s.start, s.id))), note, tz)

    def get(self, session_id: str) -> Session | None:
        return next((s for s in self.sessions if s.id == session_id), None)

    @property
    def days(self) -> list[date]:
        return sorted({s.day for s in self.sessions})

    def on(self, day: date) -> list[Session]:
        return [s for s in self.sessions if s.day == day]

    def now(self, at: datetime) -> list[Session]:
        return [s for s in self.sessions if s.start <= at < s.end]

    def next(self, at: datetime) -> Session | None:
        return next((s for s in self.sessions if s.start > at), None)


def _time(path: Path, sid: str, item: dict, key: str, tz: ZoneInfo) -> datetime:
    value = item.get(key)
    try:
        moment = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    except ValueError:
        raise ContentError(path, sid, f"{key} must be an ISO 8601 time such as 2020-07-17T13:00, got {value!r}") from None
    return moment.replace(tzinfo=tz) if moment.tzinfo is None else moment.astimezone(tz)


def when(moment: datetime, lang: str) -> str:
    """A date and time as Thai or English readers write it."""
    if lang == "th":
        return thai_strftime(moment, "%-d %b %Y เวลา %H:%M น.")
    return moment.strftime("%-d %b %Y, %H:%M")


def day_label(day: date, lang: str) -> str:
    if lang == "th":
        return thai_strftime(datetime(day.year, day.month, day.day), "%a %-d %b")
    return datetime(day.year, day.month, day.day).strftime("%a %-d %b")


def span(session: Session, lang: str) -> str:
    """"17 ก.ค. 2563 เวลา 13:00–14:00 น." / "17 Jul 2020, 13:00–14:00"."""
    end = session.end.strftime("%H:%M")
    if lang == "th":
        return thai_strftime(session.start, "%-d %b %Y เวลา %H:%M") + f"–{end} น."
    return session.start.strftime("%-d %b %Y, %H:%M") + f"–{end}"
