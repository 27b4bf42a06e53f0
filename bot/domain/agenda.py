"""The agenda organisers write in content/agenda.toml: sessions, validated at load, and the questions the chat
asks of it (which days, what is on a day, what is on now, what is next), with times as people read them.

Times without an offset are in TIMEZONE (Asia/Bangkok by default). Thai readers get Thai dates with the
Buddhist year ("17 ก.ค. 2563 เวลา 13:00 น.", PyThaiNLP's `thai_strftime`); English readers get "17 Jul 2020, 13:00".
"""
from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from pythainlp.util import thai_strftime
from pythainlp.util.date import thai_abbr_months, thai_full_months, thai_full_weekdays

from .. import textnorm
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


# -- a day named in a message ("วันที่ 19 มีอะไรบ้าง", "what's on the 25th") --------------------------------------
# Month and weekday names from PyThaiNLP's and the standard library's calendars, read as textnorm.clean writes
# them ("ก.ค." -> "กค"); a month is any of its names, a weekday Monday=0.
_MONTHS = {textnorm.clean(name): n for names in (thai_abbr_months, thai_full_months, calendar.month_name[1:],
                                                 calendar.month_abbr[1:]) for n, name in enumerate(names, 1)}
_WEEKDAYS = {textnorm.clean(name): n for names in (thai_full_weekdays, [w[3:] for w in thai_full_weekdays],
                                                   calendar.day_name, calendar.day_abbr) for n, name in enumerate(names)}
_WEEKDAYS["พฤหัส"] = 3
_MONTH = "|".join(sorted(map(re.escape, _MONTHS), key=len, reverse=True))
_WEEKDAY = "|".join(sorted(map(re.escape, _WEEKDAYS), key=len, reverse=True))
_NUMBER = r"(?<!\d)(\d{1,2})(?:st|nd|rd|th)?(?!\d)"
# A number is a day of the month when something says so: "วันที่ 19", "19 ก.ค.", "july 25", "the 25th", "on 19".
_DAY_OF_MONTH = re.compile(rf"(?:วันที่|วัน|\bthe|\bon|\bday)\s*{_NUMBER}|{_NUMBER}\s*(?P<month>{_MONTH})"
                           rf"|(?P<month_first>{_MONTH})\s*{_NUMBER}|(?<!\d)(\d{{1,2}})(?:st|nd|rd|th)\b")
_BARE_NUMBER = re.compile(_NUMBER)
_WEEKDAY_NAMED = re.compile(rf"(?<![a-z])(?:{_WEEKDAY})(?![a-z])")  # Thai is written without spaces
_FIRST_DAY = re.compile(r"วันแรก|first day|day one|day 1\b|opening day")
_LAST_DAY = re.compile(r"วันสุดท้าย|last day|final day|closing day")
_TODAY = re.compile(r"วันนี้|\btoday\b")
_TOMORROW = re.compile(r"พรุ่งนี้|\btomorrow\b|\btmr\b")


def named_day(text: str, days: list[date], today: date | None = None, bare_numbers: bool = False) -> date | None:
    """The day of the agenda's `days` a message names, or None when it names none of them, or several.

    Read: a day of the month said to be one ("วันที่ 19", "19 ก.ค.", "25 july", "the 25th"; a bare "19" too with
    `bare_numbers`, for a message already read as asking for the schedule), a weekday ("วันเสาร์", "saturday"),
    the first or last day ("วันแรก", "last day"), today and tomorrow (by `today`, the event's date now)."""
    if not days:
        return None
    text = textnorm.clean(text)
    found: set[date] = set()
    numbers = [int(next(g for g in m.groups() if g and g.isdigit())) for m in _DAY_OF_MONTH.finditer(text)]
    if bare_numbers and not numbers:
        numbers = [int(m.group(1)) for m in _BARE_NUMBER.finditer(text)]
    months = {_MONTHS[m] for m in re.findall(rf"(?:{_MONTH})", text)} if numbers else set()
    for n in numbers:
        found |= {d for d in days if d.day == n and (not months or d.month in months)}
    weekdays = {_WEEKDAYS[w] for w in _WEEKDAY_NAMED.findall(text)}
    found |= {d for d in days if d.weekday() in weekdays}
    if _FIRST_DAY.search(text):
        found.add(days[0])
    if _LAST_DAY.search(text):
        found.add(days[-1])
    if today is not None:
        found |= {d for d, said in ((today, _TODAY), (today + timedelta(days=1), _TOMORROW))
                  if d in days and said.search(text)}
    return found.pop() if len(found) == 1 else None
