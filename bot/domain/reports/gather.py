"""Filling the report's model (`model.py`) from the database, for a period [start, end) in TIMEZONE.

All parts are read inside one read transaction, so they count the same moment (a WAL reader never blocks the
bot's writers). Each part has one function here; where a table's owner module already answers the question
(`polls.tally`, `broadcasts.progress`, `faq_misses.frequent`) the function asks it: every table's SQL is in its
owner module, none here.

What falls in the period: registrations by when they were confirmed; broadcasts by when they started sending
(or were due); polls by when they were opened, with all their votes; FAQ misses by when they were asked.
Questions for speakers and opinion rounds are empty until those features exist: each is one function below
that will read its tables.
"""
from __future__ import annotations

import time
from collections import Counter
from datetime import date, datetime, timedelta

from bot.messenger import outbox
from bot.messenger.utility_messages import NO_APPROVED_TEMPLATE

from .. import broadcasts, faq_misses, polls, registrations
from ..agenda import TOPICS
from ..registrations import ROLES
from ..segments import Segment

from .labels import Labels, day_label, moment_label
from .model import (BroadcastSummary, Count, DayCount, EventReport, FaqMiss, Label, OpinionRound, Period,
                    PollOption, PollResult, Registrations, SessionQuestions, TeamCount)

FAQ_MISSES_LISTED = 50  # the most frequent wordings; the total counts them all


def gather(conn, texts, period: Period, *, agenda=None, faq=None, now: float | None = None) -> EventReport:
    """The report for `period` from the database behind `conn` (a sqlite3 connection with Row rows).

    `texts`: the content's Texts (labels); `agenda`: the Agenda (session titles for audiences and questions);
    `faq`: anything with `.faq.entries` (the understanding step: titles of the closest FAQ entries). Raises nothing for an empty database: every part
    is then empty and every count zero."""
    labels = Labels(texts)
    tz = period.start.tzinfo
    generated = datetime.fromtimestamp(time.time() if now is None else now, tz)
    own = not conn.in_transaction
    if own:
        conn.execute("BEGIN")  # one snapshot for every part
    try:
        registrations = gather_registrations(conn, period, labels)
        sent = gather_broadcasts(conn, period, labels, agenda)
        results = gather_polls(conn, period, labels)
        questions = gather_questions(conn, period, labels, agenda)
        opinions = gather_opinions(conn, period, labels)
        misses, miss_total = gather_faq_misses(conn, period, labels, faq)
    finally:
        if own:
            conn.execute("ROLLBACK")  # read only: nothing to keep
    first, last = day_label(period.first_day), day_label(period.last_day)
    at = moment_label(generated)
    return EventReport(
        event=labels.of("report_event"), organiser=labels.of("report_organiser"), period=period,
        period_label=Label(texts.get("report_period", "th", start=first.th, end=last.th),
                           texts.get("report_period", "en", start=first.en, end=last.en)),
        generated_at=generated,
        generated_label=Label(texts.get("report_generated", "th", at=at.th, timezone=str(tz)),
                              texts.get("report_generated", "en", at=at.en, timezone=str(tz))),
        timezone=str(tz), registrations=registrations, broadcasts=sent, polls=results, questions=questions,
        opinions=opinions, faq_misses=misses, faq_miss_total=miss_total, labels=labels.report())


def earliest_record(conn) -> float | None:
    """When the first thing a report counts happened (a registration, a broadcast, a poll, a FAQ miss), as a
    Unix time; None for an empty database. The default start of a report."""
    firsts = [registrations.first_at(conn), broadcasts.first_at(conn), polls.first_opened_at(conn),
              faq_misses.first_at(conn)]
    return min((t for t in firsts if t is not None), default=None)


# -- registrations ---------------------------------------------------------------------------------------------
def gather_registrations(conn, period: Period, labels: Labels) -> Registrations:
    rows = registrations.confirmed_between(conn, *period.bounds)
    tz = period.start.tzinfo
    status = Counter(r["status"] for r in rows)
    roles, topics = Counter(r["role"] for r in rows), Counter(r["topic"] for r in rows)
    days = Counter(datetime.fromtimestamp(r["created_at"], tz).date() for r in rows)
    return Registrations(
        registered=status["registered"], waitlisted=status["waitlisted"],
        by_role=tuple(Count(k, labels.role(k), roles[k]) for k in _known_first(ROLES, roles)),
        by_topic=tuple(Count(k, labels.topic(k), topics[k]) for k in _known_first(TOPICS, topics)),
        by_day=tuple(DayCount(d, day_label(d), days[d]) for d in _every_day(days)),
        teams=_teams(r["team"] for r in rows))


def _known_first(known: tuple[str, ...], counts: Counter) -> list[str]:
    """Every known id in its order (zeros included), then any other id the table holds."""
    return list(known) + sorted(k for k in counts if k not in known)


def _every_day(days: Counter) -> list[date]:
    """From the first day with a count to the last, days without one included: a chart shows the quiet days."""
    if not days:
        return []
    first, last = min(days), max(days)
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]


def _teams(names) -> tuple[TeamCount, ...]:
    """Teams by members, the same team however it was capitalised or spaced; shown as most members typed it."""
    spellings: dict[str, Counter] = {}
    for name in names:
        if name and name.strip():
            spellings.setdefault(" ".join(name.split()).casefold(), Counter())[" ".join(name.split())] += 1
    teams = [TeamCount(c.most_common(1)[0][0], sum(c.values())) for c in spellings.values()]
    return tuple(sorted(teams, key=lambda t: (-t.members, t.name.casefold())))


# -- broadcasts ------------------------------------------------------------------------------------------------
def gather_broadcasts(conn, period: Period, labels: Labels, agenda=None) -> tuple[BroadcastSummary, ...]:
    tz = period.start.tzinfo
    out = []
    for b in broadcasts.started_between(conn, *period.bounds):
        progress = broadcasts.progress(conn, b.id)
        batch = broadcasts.batch_name(b.id)
        utility = outbox.batch_as_utility(conn, batch)
        reasons = Counter()
        for status, error, n in outbox.batch_reasons(conn, batch, by_status=True):
            reasons[_delivery_reason(status, error)] += n
        at = b.started_at or b.scheduled_at or b.created_at
        out.append(BroadcastSummary(
            id=b.id, at=datetime.fromtimestamp(at, tz) if at else None, text=Label(b.text["th"], b.text["en"]),
            audience=_segment_label(b.segment, labels, agenda),
            state=labels.of(f"broadcast_state_{b.state}", fallback=b.state), state_key=b.state,
            event_update=b.event_update, reach=progress.audience, sent=progress.sent, failed=progress.failed,
            skipped=progress.skipped, pending=progress.pending, as_utility=utility,
            reasons=tuple(Count(k, labels.of(f"delivery_{k}"), n) for k, n in reasons.most_common())))
    return tuple(out)


def _delivery_reason(status: str, error: str | None) -> str:
    """Why a message was not sent, in one of the few words a report uses (the exact error stays in the outbox
    and in the broadcast's CSV)."""
    if status == "outside_window":
        return "no_template" if (error or "").startswith(NO_APPROVED_TEMPLATE) else "outside_window"
    if status == "cancelled":
        return "cancelled"
    if status in ("user_unavailable", "no_matching_user"):
        return "unavailable"
    return "failed"


def _segment_label(segment: Segment, labels: Labels, agenda=None) -> Label:
    if segment.kind == "topic":
        topic = labels.topic(segment.value)
        return Label(labels.of("segment_topic", topic=topic.th).th, labels.of("segment_topic", topic=topic.en).en)
    if segment.kind == "session":
        session = agenda.get(segment.value) if agenda is not None else None
        title = session.title if session is not None else {"th": segment.value, "en": segment.value}
        return Label(labels.of("segment_session", session=title["th"]).th,
                     labels.of("segment_session", session=title["en"]).en)
    key = f"segment_{segment.kind}" + (f"_{segment.value}" if segment.value else "")
    return labels.of(key, fallback=str(segment))


# -- polls -----------------------------------------------------------------------------------------------------
def gather_polls(conn, period: Period, labels: Labels) -> tuple[PollResult, ...]:
    tz = period.start.tzinfo
    out = []
    for poll in polls.opened_between(conn, *period.bounds):
        counts = polls.tally_by_channel(conn, poll)
        out.append(PollResult(
            id=poll.id, question=Label(poll.question["th"], poll.question["en"]),
            state=labels.of(f"poll_state_{poll.state}", fallback=poll.state), state_key=poll.state,
            opened_at=_moment(poll.opened_at, tz), closed_at=_moment(poll.closed_at, tz),
            options=tuple(PollOption(n, Label(o["th"], o.get("en") or o["th"]), counts[n - 1].get("messenger", 0),
                                     counts[n - 1].get("comment", 0))
                          for n, o in enumerate(poll.options, 1))))
    return tuple(out)


def _moment(ts: float | None, tz) -> datetime | None:
    return datetime.fromtimestamp(ts, tz) if ts else None


# -- questions for speakers and opinion rounds (features to come) ----------------------------------------------
def gather_questions(conn, period: Period, labels: Labels, agenda=None) -> tuple[SessionQuestions, ...]:
    """Questions for the speakers, one row per session: asked, approved, answered, upvotes.

    Audience Q&A does not exist yet, so there is nothing to read. When its tables do, count them here per
    session (asked in the period), label each session with `agenda.get(id).title`, and the writers show it."""
    return ()


def gather_opinions(conn, period: Period, labels: Labels) -> tuple[OpinionRound, ...]:
    """Opinion rounds: participants, statements, opinion groups and consensus statements.

    Opinion rounds do not exist yet, so there is nothing to read. When their tables do, read each round that
    was open in the period here; the writers show it."""
    return ()


# -- FAQ misses ------------------------------------------------------------------------------------------------
def gather_faq_misses(conn, period: Period, labels: Labels, faq=None) -> tuple[tuple[FaqMiss, ...], int]:
    """The most frequent unanswered wordings, and how many misses there were in all."""
    tz = period.start.tzinfo
    entries = faq.faq.entries if faq is not None else {}
    misses = []
    for row in faq_misses.frequent(conn, limit=FAQ_MISSES_LISTED, between=period.bounds):
        outcomes = [labels.of(f"faq_outcome_{o}", fallback=o) for o in sorted(set((row["outcomes"] or "").split(",")))
                    if o]
        entry = entries.get(row["guess"]) if row["guess"] else None
        misses.append(FaqMiss(
            example=row["example"], times=row["n"],
            outcome=Label(", ".join(o.th for o in outcomes), ", ".join(o.en for o in outcomes)),
            closest=Label(entry.title["th"], entry.title["en"]) if entry else None,
            last_at=datetime.fromtimestamp(row["last"], tz)))
    return tuple(misses), faq_misses.count(conn, *period.bounds)
