"""What each part of a report shows, said once for both writers: its columns, rows, groups and chart.

The Excel writer (`xlsx.py`) puts each `Table` on its own sheet, every column, with a native chart per group;
the PDF writer (`pdf.py`) draws the same table with the columns that fit on A4 (`Column.pdf`, a relative
width; 0 leaves the column out) and the same charts. A row is a tuple of plain values in column order: str,
int, float (a share), date or datetime (naive, in TIMEZONE).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from .model import EventReport, Label

TEXT, LONG, INT, SHARE, DATE, TIME = "text", "long", "int", "share", "date", "datetime"
BLUE, GREEN, RED, GREY, AMBER, TEAL = "#1F5FA8", "#2E7D32", "#C62828", "#8A8A8A", "#E0A100", "#00838F"


@dataclass(frozen=True)
class Column:
    header: Label
    kind: str = TEXT  # TEXT, LONG (wrapped), INT, SHARE, DATE, TIME
    pdf: float = 1.0  # relative width in the PDF; 0: Excel only
    color: str = BLUE  # as a chart series


@dataclass(frozen=True)
class Chart:
    kind: str  # "bar" (horizontal bars, for named things) or "column" (vertical, for days)
    categories: int  # the column naming each bar
    series: tuple[int, ...]  # the value columns, one series each
    stacked: bool = False
    limit: int | None = None  # only the first rows (tables are sorted most first)


@dataclass(frozen=True)
class Group:
    """Rows [start, stop) about one thing (a poll): a title above them in the PDF, a chart of their own."""

    title: Label
    start: int
    stop: int


@dataclass(frozen=True)
class Table:
    key: str  # the part: "by_role", "polls"...
    heading: Label
    sheet: Label
    columns: tuple[Column, ...]
    rows: tuple[tuple[Any, ...], ...]
    chart: Chart | None = None
    groups: tuple[Group, ...] = ()
    note: Label | None = None

    def chart_groups(self) -> tuple[Group, ...]:
        """The row ranges that get a chart each: the groups, or the whole table as one."""
        return self.groups or (Group(self.heading, 0, len(self.rows)),)


def naive(moment: datetime | None) -> datetime | None:
    """An aware time as the wall clock in its own zone (spreadsheets have no time zones)."""
    return moment.replace(tzinfo=None) if moment is not None else None


def tables(report: EventReport) -> list[Table]:
    """Every part of `report`, in the order both documents show them."""
    L = report.label
    r = report.registrations

    def col(key: str, kind: str = TEXT, pdf: float = 1.0, color: str = BLUE) -> Column:
        return Column(L(f"col_{key}"), kind, pdf, color)

    def lang(key: str, which: str, pdf: float = 1.0, kind: str = TEXT) -> Column:  # a column in one language
        label = L(f"col_{key}")
        return Column(Label(label.th, label.th) if which == "th" else Label(label.en, label.en), kind, pdf)

    def part(key: str, columns, rows, chart=None, **extra) -> Table:
        return Table(key, L(key), L(f"sheet_{key}"), tuple(columns), tuple(tuple(row) for row in rows), chart, **extra)

    def share(n: int, total: int) -> float:
        return n / total if total else 0.0

    summary = part("summary", [lang("item", "th", 3), lang("item", "en", 3), col("value", INT)],
                   [(label.th, label.en, value) for label, value in report.key_figures()])
    counts = [
        part(key, [col("key", TEXT, 0), lang(name, "th", 2.4), lang(name, "en", 2.4), col("count", INT),
                   col("share", SHARE)],
             [(c.key, c.label.th, c.label.en, c.count, share(c.count, r.total)) for c in items],
             Chart("bar", 1, (3,)))
        for key, name, items in (("by_role", "role", r.by_role), ("by_topic", "topic", r.by_topic))]
    by_day = part("by_day", [col("day", DATE, 0), lang("day", "th", 2), lang("day", "en", 2), col("count", INT)],
                  [(d.day, d.label.th, d.label.en, d.count) for d in r.by_day], Chart("column", 0, (3,)))
    teams = part("teams", [col("team", TEXT, 4), col("members", INT)], [(t.name, t.members) for t in r.teams],
                 Chart("bar", 0, (1,), limit=15))
    sent = part("broadcasts",
                # A4 holds eight columns: the number and the pending count (also in the chart) are Excel's only.
                [col("number", INT, 0), col("time", TIME, 1.2), lang("message", "th", 4.2, LONG),
                 lang("message", "en", 0, LONG), col("audience", TEXT, 1.8), col("state", TEXT, 1.3),
                 col("reach", INT, 0.6), col("sent", INT, 0.6, GREEN), col("failed", INT, 0.6, RED),
                 col("skipped", INT, 0.6, GREY), col("pending", INT, 0, AMBER), col("utility", INT, 0),
                 col("reasons", LONG, 0)],
                [(b.id, naive(b.at), b.text.th, b.text.en, str(b.audience), str(b.state), b.reach, b.sent, b.failed,
                  b.skipped, b.pending, b.as_utility, "; ".join(f"{c.label} ({c.count})" for c in b.reasons))
                 for b in report.broadcasts],
                Chart("bar", 2, (7, 8, 9, 10), stacked=True), note=L("sent_note"))
    rows, groups = [], []
    for p in report.polls:
        start = len(rows)
        for o in p.options:
            rows.append((p.id, p.question.th, str(p.state), naive(p.opened_at), naive(p.closed_at), o.number, o.label.th,
                         o.label.en, o.in_chat, o.in_comments, o.votes, p.share(o)))
        groups.append(Group(Label(f"#{p.id} {p.question.th}", p.question.en), start, len(rows)))
    polls = part("polls",
                 [col("poll", INT, 0), col("question", LONG, 0), col("state", TEXT, 0), col("opened", TIME, 0),
                  col("closed", TIME, 0), col("number", INT, 0.5), lang("option", "th", 2.6), lang("option", "en", 2.2),
                  col("in_chat", INT, 1), col("in_comments", INT, 1, TEAL), col("votes", INT, 1), col("share", SHARE, 1)],
                 rows, Chart("bar", 6, (10,)), groups=tuple(groups))
    questions = part("questions",
                     [col("session", TEXT, 0), lang("session", "th", 3), lang("session", "en", 0), col("asked", INT),
                      col("approved", INT, 1, TEAL), col("answered", INT, 1, GREEN), col("upvotes", INT, 1, AMBER)],
                     [(q.session_id, q.session.th, q.session.en, q.asked, q.approved, q.answered, q.upvotes)
                      for q in report.questions], Chart("bar", 1, (3, 4, 5)))
    opinions = part("opinions",
                    [col("number", INT, 0.5), lang("round", "th", 2.5), lang("round", "en", 0), col("participants", INT),
                     col("statements", INT, 1, TEAL), col("groups", INT, 1, AMBER), col("consensus", LONG, 3)],
                    [(o.id, o.title.th, o.title.en, o.participants, o.statements, o.groups, "\n".join(o.consensus))
                     for o in report.opinions], Chart("bar", 1, (3,)))
    misses = part("faq_misses",
                  [col("question", LONG, 4), col("times", INT, 1), col("outcome", TEXT, 2.2),
                   col("closest", TEXT, 0), col("last", TIME, 0)],
                  [(m.example, m.times, str(m.outcome), str(m.closest) if m.closest else "", naive(m.last_at))
                   for m in report.faq_misses], Chart("bar", 0, (1,), limit=10))
    return [summary, *counts, by_day, teams, sent, polls, questions, opinions, misses]
