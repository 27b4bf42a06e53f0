"""What people asked to be told of, the one owner of the `subscriptions` table.

A subscription is (person, kind, target): a session's reminders (`session`, its id), a topic's (`topic`, 1-4), every
session's (`all`, "*"), or a poll opening (`polls`, "*"). One per person and thing, enforced by the database, so a
double tap subscribes once. Reminders (schedules/reminders.py), a poll's opening and broadcasts to a session's
followers read them here.
"""
from __future__ import annotations

import sqlite3

from ..messenger import people
from ..store import ensure_table
from . import registrations

KINDS = ("session", "topic", "all", "polls")


def schema(db) -> None:
    ensure_table(db, "subscriptions", {"id": int, "psid": str, "kind": str, "target": str, "created_at": float},
                 pk="id", not_null={"psid", "kind", "target"})
    # One subscription per person and thing, enforced by the database (a double tap subscribes once).
    db.execute("CREATE UNIQUE INDEX IF NOT EXISTS subscriptions_unique ON subscriptions(psid, kind, target)")


def declare(privacy) -> None:
    privacy.personal("subscriptions", person="psid", kept_from="created_at", show=show)


def show(conn: sqlite3.Connection, person, words) -> list[str]:
    """What the person asked to be told of: reminders of a session, a topic, everything; poll openings."""
    rows = of(conn, person.psid)
    if not rows:
        return []
    names = {"all": lambda target: words.t("data_subscription_all"),
             "polls": lambda target: words.t("data_subscription_polls"),
             "topic": lambda target: words.t(f"topic_{target}"),
             "session": lambda target: target}
    return [words.t("data_subscriptions", items=", ".join(names[r["kind"]](r["target"]) for r in rows
                                                          if r["kind"] in names))]


def subscribe(conn: sqlite3.Connection, psid: str, kind: str, target: str, now: float) -> None:
    conn.execute("INSERT INTO subscriptions (psid, kind, target, created_at) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING",
                 (psid, kind, target, now))


def unsubscribe(conn: sqlite3.Connection, psid: str, kind: str | None = None, target: str | None = None) -> None:
    """Stop one subscription, or all of the person's (no kind)."""
    if kind is None:
        conn.execute("DELETE FROM subscriptions WHERE psid = ?", (psid,))
    else:
        conn.execute("DELETE FROM subscriptions WHERE psid = ? AND kind = ? AND target = ?", (psid, kind, target))


def of(conn: sqlite3.Connection, psid: str) -> list[sqlite3.Row]:
    """The person's subscriptions, (kind, target), oldest first."""
    return conn.execute("SELECT kind, target FROM subscriptions WHERE psid = ? ORDER BY created_at", (psid,)).fetchall()


def has_any(conn: sqlite3.Connection, psid: str) -> bool:
    return conn.execute("SELECT 1 FROM subscriptions WHERE psid = ? LIMIT 1", (psid,)).fetchone() is not None


def subscriber_count(conn: sqlite3.Connection) -> int:
    """People with at least one subscription."""
    return conn.execute("SELECT count(DISTINCT psid) FROM subscriptions").fetchone()[0]


def reminded_of(conn: sqlite3.Connection, session_id: str, topic: str) -> list[sqlite3.Row]:
    """Who is reminded of a session (its own followers, its topic's and everything's), each once, with their
    `language` and whether they are a `registered` participant (they may get a utility message)."""
    return conn.execute(
        f"SELECT DISTINCT s.psid, {people.language_sql('s.psid')} AS language, "
        f"s.psid IN ({registrations.registered().sql}) AS registered FROM subscriptions s "
        "WHERE (s.kind = 'session' AND s.target = ?) OR (s.kind = 'topic' AND s.target = ?) OR s.kind = 'all'",
        (session_id, topic)).fetchall()


def told_of_polls(conn: sqlite3.Connection, session_id: str | None) -> list[sqlite3.Row]:
    """Who is sent a poll when it opens: those who asked for polls or for everything, and its session's followers;
    each once, with their `language`."""
    return conn.execute(
        f"SELECT DISTINCT s.psid, {people.language_sql('s.psid')} AS language FROM subscriptions s "
        "WHERE s.kind IN ('all', 'polls') OR (s.kind = 'session' AND s.target = ?)", (session_id or "",)).fetchall()


# -- who, for other tables' queries ---------------------------------------------------------------------------------
def of_topic(topic_param: str) -> str:
    """The people who asked for the reminders of topic `topic_param` (an SQL parameter), as a PSID subquery."""
    return f"SELECT psid FROM subscriptions WHERE kind = 'topic' AND target = {topic_param}"


def reminded_of_sql(session_param: str, topic_param: str) -> str:
    """The people reminders of a session go to (its subscribers, its topic's, and everything's), as a PSID
    subquery with the session's id and topic in the SQL parameters named."""
    return (f"SELECT psid FROM subscriptions WHERE (kind = 'session' AND target = {session_param}) "
            f"OR (kind = 'topic' AND target = {topic_param}) OR kind = 'all'")
