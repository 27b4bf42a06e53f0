"""Conversations handed to a person, the one owner of the `handover` table.

A person who asks for a moderator is with a person until a moderator hands them back (the console, `flask --app
app handover release`) or HANDOVER_SECONDS pass; meanwhile the bot stays quiet for them (handlers/handover.py).
"""
from __future__ import annotations

import json
import sqlite3
import time

from .. import inbox
from ..messenger import people
from ..messenger.outbox import enqueue
from ..messenger.replies import Outgoing, Text
from ..store import ensure_table
from .conversations import incoming_text

HANDOVER_SECONDS = 24 * 3600


def schema(db) -> None:
    ensure_table(db, "handover",
                 {"psid": str, "requested_at": float, "until": float, "released_at": float, "released_by": str},
                 pk="psid")


def declare(privacy) -> None:
    # The alert to moderators (their name, last message) is erased with the outbox: it came from their event.
    privacy.personal("handover", person="psid", kept_from="requested_at", show=show)


def show(conn: sqlite3.Connection, person, words) -> list[str]:
    """The hand-over (asked when, waiting or ended) and what the person wrote to the staff during it (the last 20)."""
    row = conn.execute("SELECT * FROM handover WHERE psid = ?", (person.psid,)).fetchone()
    if row is None:
        return []
    end = row["released_at"] or row["until"]
    written = [json.loads(r["event"]) for r in inbox.history(conn, person.psid, 200)
               if row["requested_at"] <= r["received_at"] <= end and r["kind"] == "message"][:20]
    said = " / ".join(incoming_text("message", event)[:200] for event in reversed(written))
    state = "data_handover_waiting" if row["released_at"] is None and row["until"] > person.now else "data_handover_ended"
    return [words.t("data_handover", since=words.when(row["requested_at"]), state=words.t(state), messages=said or "-")]


def start(conn: sqlite3.Connection, psid: str, now: float) -> None:
    """`psid` is with a person from now on, for HANDOVER_SECONDS at most."""
    conn.execute(
        "INSERT INTO handover (psid, requested_at, until) VALUES (?, ?, ?) ON CONFLICT(psid) DO UPDATE SET "
        "requested_at = excluded.requested_at, until = excluded.until, released_at = NULL, released_by = NULL",
        (psid, now, now + HANDOVER_SECONDS))


def waiting_row(conn: sqlite3.Connection, psid: str, now: float) -> sqlite3.Row | None:
    """The person's hand-over while it lasts, else None."""
    return conn.execute("SELECT * FROM handover WHERE psid = ? AND released_at IS NULL AND until > ?",
                        (psid, now)).fetchone()


def is_with_a_person(conn: sqlite3.Connection, psid: str, now: float) -> bool:
    return waiting_row(conn, psid, now) is not None


def waiting(conn: sqlite3.Connection, now: float) -> list[sqlite3.Row]:
    """People waiting for a person, longest first, with their name and when they asked."""
    return [dict(row, **_person(conn, row["psid"])) for row in conn.execute(
        "SELECT psid, requested_at, until FROM handover WHERE released_at IS NULL AND until > ? ORDER BY requested_at",
        (now,)).fetchall()]


def _person(conn: sqlite3.Connection, psid: str) -> dict:
    row = people.get(conn, psid)
    keys = ("first_name", "last_name", "language", "last_interaction_at")
    return {k: row[k] if row is not None else None for k in keys}


def waiting_count(conn: sqlite3.Connection, now: float) -> int:
    return conn.execute("SELECT count(*) FROM handover WHERE released_at IS NULL AND until > ?", (now,)).fetchone()[0]


def release(conn: sqlite3.Connection, texts, psid: str, by: str) -> bool:
    """Hand `psid` back to the bot and tell them, in their language; False when they were not waiting."""
    now = time.time()
    released = conn.execute(
        "UPDATE handover SET released_at = ?, released_by = ? WHERE psid = ? AND released_at IS NULL AND until > ?",
        (now, by, psid, now)).rowcount
    if released:
        lang = people.language(conn, psid)
        enqueue(conn, psid, [Outgoing(Text(texts.get("handover_ended", lang)), intent="UPDATE")])
    return bool(released)
