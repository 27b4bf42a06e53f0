"""The event summary as plain, typed data: everything the Excel and PDF writers show, nothing they look up.

Every name a person reads comes with its Thai and English label (`Label`), taken from content/texts.toml by the
gatherer (`gather.py`); the code's ids (`student`, `3`, `done`) stay beside them for machines. Times are aware
datetimes in TIMEZONE. A part with nothing in the period is an empty tuple: the writers say so, never leave the
part out, so that two reports always have the same shape.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta


@dataclass(frozen=True)
class Label:
    """One thing in both languages. Thai first, English second, as everything a citizen or an agency reads."""

    th: str
    en: str

    def __str__(self) -> str:
        return self.th if self.th == self.en else f"{self.th} / {self.en}"


@dataclass(frozen=True)
class Period:
    """[start, end): aware datetimes in TIMEZONE, at midnight. `last_day` is the last day it includes."""

    start: datetime
    end: datetime

    def __post_init__(self) -> None:
        if self.start.tzinfo is None or self.end.tzinfo is None:
            raise ValueError("a report period needs aware datetimes (TIMEZONE)")
        if self.end <= self.start:
            raise ValueError("a report period must end after it starts")

    @classmethod
    def days(cls, first: date, last: date, tz) -> "Period":
        """From the start of `first` to the end of `last`, both included, in `tz`."""
        if last < first:
            raise ValueError(f"the period ends ({last}) before it starts ({first})")
        return cls(datetime(first.year, first.month, first.day, tzinfo=tz),
                   datetime(last.year, last.month, last.day, tzinfo=tz) + timedelta(days=1))

    @property
    def first_day(self) -> date:
        return self.start.date()

    @property
    def last_day(self) -> date:
        return (self.end - timedelta(days=1)).date()

    @property
    def bounds(self) -> tuple[float, float]:
        """Unix times [start, end), as the tables store them."""
        return self.start.timestamp(), self.end.timestamp()


@dataclass(frozen=True)
class Count:
    """How many of one kind: a role, a topic, a reason. `key` is the code's id."""

    key: str
    label: Label
    count: int


@dataclass(frozen=True)
class DayCount:
    day: date
    label: Label  # "17 ก.ค. 2563" / "17 Jul 2020"
    count: int


@dataclass(frozen=True)
class TeamCount:
    name: str  # as a registrant typed it: text, shown as text, never run as a formula
    members: int


@dataclass(frozen=True)
class Registrations:
    """Registrations made in the period (by when they were confirmed), both registered and waitlisted."""

    registered: int
    waitlisted: int
    by_role: tuple[Count, ...]  # every role, in the form's order, zeros included
    by_topic: tuple[Count, ...]  # every topic 1-4, zeros included
    by_day: tuple[DayCount, ...]  # each day from the first to the last registration, zeros included
    teams: tuple[TeamCount, ...]  # the most members first

    @property
    def total(self) -> int:
        return self.registered + self.waitlisted


@dataclass(frozen=True)
class BroadcastSummary:
    """One broadcast that went out (or was meant to) in the period: its reach and what became of each message."""

    id: int
    at: datetime | None  # when it started sending (or was due)
    text: Label  # the announcement in each language
    audience: Label  # the segment, in words
    state: Label
    state_key: str
    event_update: bool
    reach: int  # people it was addressed to
    sent: int  # Facebook accepted the message
    failed: int
    skipped: int  # not sent, and why is in `reasons`
    pending: int
    as_utility: int  # of `sent`: as a utility message (outside the 24-hour window)
    reasons: tuple[Count, ...]  # why messages were not sent, the most first

    @property
    def sent_share(self) -> float:
        return self.sent / self.reach if self.reach else 0.0


@dataclass(frozen=True)
class PollOption:
    number: int  # 1-based, as voters chose it
    label: Label
    in_chat: int  # votes in Messenger
    in_comments: int  # votes in live-video comments

    @property
    def votes(self) -> int:
        return self.in_chat + self.in_comments


@dataclass(frozen=True)
class PollResult:
    id: int
    question: Label
    state: Label
    state_key: str
    opened_at: datetime | None
    closed_at: datetime | None
    options: tuple[PollOption, ...]

    @property
    def votes(self) -> int:
        return sum(o.votes for o in self.options)

    def share(self, option: PollOption) -> float:
        return option.votes / self.votes if self.votes else 0.0


@dataclass(frozen=True)
class SessionQuestions:
    """Questions for the speakers of one session (audience Q&A)."""

    session_id: str
    session: Label
    asked: int
    approved: int
    answered: int
    upvotes: int


@dataclass(frozen=True)
class OpinionRound:
    """One opinion round (statements voted agree / disagree / pass; groups found; consensus across groups)."""

    id: int
    title: Label
    participants: int
    statements: int
    groups: int
    consensus: tuple[str, ...]  # statements every group agreed with, as written


@dataclass(frozen=True)
class FaqMiss:
    """A question the bot could not answer (or was unsure of), with the same wording counted once."""

    example: str  # as a citizen typed it: text, never a formula
    times: int
    outcome: Label
    closest: Label | None  # the nearest FAQ entry's title
    last_at: datetime


@dataclass(frozen=True)
class EventReport:
    """The whole summary. `labels` holds every heading and column name (keys as in content/texts.toml without
    the `report_` prefix: "by_role", "col_count"...)."""

    event: Label
    organiser: Label
    period: Period
    period_label: Label  # "17 ก.ค. 2563 – 25 ก.ค. 2563" / "17 Jul 2020 – 25 Jul 2020"
    generated_at: datetime
    generated_label: Label
    timezone: str
    registrations: Registrations
    broadcasts: tuple[BroadcastSummary, ...]
    polls: tuple[PollResult, ...]
    questions: tuple[SessionQuestions, ...]
    opinions: tuple[OpinionRound, ...]
    faq_misses: tuple[FaqMiss, ...]
    faq_miss_total: int  # every miss in the period, not only the most frequent listed
    labels: dict[str, Label] = field(default_factory=dict)

    def label(self, key: str) -> Label:
        return self.labels[key]

    def key_figures(self) -> list[tuple[Label, int]]:
        """The summary's figures, in the order the cover shows them."""
        r, L = self.registrations, self.label
        return [
            (L("fig_registered"), r.registered),
            (L("fig_waitlisted"), r.waitlisted),
            (L("fig_teams"), len(r.teams)),
            (L("fig_broadcasts"), len(self.broadcasts)),
            (L("fig_reach"), sum(b.reach for b in self.broadcasts)),
            (L("fig_sent"), sum(b.sent for b in self.broadcasts)),
            (L("fig_polls"), len(self.polls)),
            (L("fig_votes"), sum(p.votes for p in self.polls)),
            (L("fig_questions"), sum(q.asked for q in self.questions)),
            (L("fig_opinion_rounds"), len(self.opinions)),
            (L("fig_faq_misses"), self.faq_miss_total),
        ]
