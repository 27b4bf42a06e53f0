"""Polls and votes: the data, and the rules the database enforces.

One vote per person per poll per channel (Messenger, live comments) is a UNIQUE constraint: a vote is an
`INSERT ... ON CONFLICT`, so concurrent or redelivered votes can never be counted twice, and a tally is a
`count(*)`, exact by construction. A poll lets voters change their vote or not (`allow_change`).

Every change of what the results screen shows (a vote, a withdrawn comment, opening, closing) is announced with
`public_screens.changed` in the same transaction, so the public results pages update within a second.
"""
from __future__ import annotations

import json
import sqlite3
import time
from dataclasses import dataclass

from .public_screens import changed

RESULTS_SCREEN = "poll"  # the public screen of a poll's results (handlers/live_results.py)
MIN_OPTIONS, MAX_OPTIONS = 2, 10
STATES = ("draft", "open", "closed")


def schema(db) -> None:
    """Tables, and for databases from before live-comment votes, their new column."""
    db.execute("""
        CREATE TABLE IF NOT EXISTS polls (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            question_th TEXT NOT NULL,
            question_en TEXT NOT NULL,
            options TEXT NOT NULL,          -- JSON list of {"th": ..., "en": ...}
            state TEXT NOT NULL DEFAULT 'draft',
            session_id TEXT,
            video_id TEXT,
            allow_change INTEGER NOT NULL DEFAULT 1,
            close_after_minutes REAL,
            created_at REAL NOT NULL,
            opened_at REAL,
            closed_at REAL
        )""")
    db.execute("""
        CREATE TABLE IF NOT EXISTS votes (
            id INTEGER PRIMARY KEY,
            poll_id INTEGER NOT NULL REFERENCES polls(id),
            channel TEXT NOT NULL,          -- messenger | comment
            voter TEXT,                     -- PSID or commenter id; NULL once the person deleted their data
            option INTEGER NOT NULL,        -- 1-based
            created_at REAL NOT NULL,
            updated_at REAL NOT NULL,
            comment_id TEXT                 -- the comment that cast it (live-comment votes)
        )""")
    if "comment_id" not in db["votes"].columns_dict:
        db["votes"].add_column("comment_id", str)
    db.execute("CREATE UNIQUE INDEX IF NOT EXISTS votes_one_each ON votes(poll_id, channel, voter)")
    db.execute("CREATE INDEX IF NOT EXISTS votes_by_comment ON votes(comment_id) WHERE comment_id IS NOT NULL")
    db.execute("CREATE INDEX IF NOT EXISTS votes_by_poll ON votes(poll_id, option)")


@dataclass(frozen=True)
class Poll:
    id: int
    question: dict[str, str]
    options: tuple[dict[str, str], ...]
    state: str
    session_id: str | None
    video_id: str | None
    allow_change: bool
    close_after_minutes: float | None
    opened_at: float | None
    closed_at: float | None

    @classmethod
    def from_row(cls, row: sqlite3.Row) -> "Poll":
        return cls(row["id"], {"th": row["question_th"], "en": row["question_en"]},
                   tuple(json.loads(row["options"])), row["state"], row["session_id"], row["video_id"],
                   bool(row["allow_change"]), row["close_after_minutes"], row["opened_at"], row["closed_at"])


def bilingual_text(text: str) -> dict[str, str]:
    """"ไทย | English" -> both; a text without "|" is used for both languages."""
    th, _, en = text.partition("|")
    th, en = th.strip(), en.strip()
    return {"th": th, "en": en or th}


def create(conn: sqlite3.Connection, question: dict[str, str], options: list[dict[str, str]], *,
           session_id: str | None = None, video_id: str | None = None, allow_change: bool = True,
           close_after_minutes: float | None = None) -> int:
    if not (MIN_OPTIONS <= len(options) <= MAX_OPTIONS):
        raise ValueError(f"a poll needs {MIN_OPTIONS} to {MAX_OPTIONS} options, got {len(options)}")
    if not question["th"] or any(not o["th"] for o in options):
        raise ValueError("the question and every option need text")
    return conn.execute(
        "INSERT INTO polls (question_th, question_en, options, session_id, video_id, allow_change, close_after_minutes, "
        "created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (question["th"], question["en"], json.dumps(options, ensure_ascii=False), session_id, video_id,
         int(allow_change), close_after_minutes, time.time())).lastrowid


def get(conn: sqlite3.Connection, poll_id: int) -> Poll | None:
    row = conn.execute("SELECT * FROM polls WHERE id = ?", (poll_id,)).fetchone()
    return Poll.from_row(row) if row else None


def open_polls(conn: sqlite3.Connection) -> list[Poll]:
    return [Poll.from_row(r) for r in conn.execute("SELECT * FROM polls WHERE state = 'open' ORDER BY id")]


def set_state(conn: sqlite3.Connection, poll_id: int, state: str) -> bool:
    """draft -> open -> closed; returns False when the poll is not in the state before."""
    before = {"open": "draft", "closed": "open"}[state]
    stamp = "opened_at" if state == "open" else "closed_at"
    done = conn.execute(f"UPDATE polls SET state = ?, {stamp} = ? WHERE id = ? AND state = ?",
                        (state, time.time(), poll_id, before)).rowcount == 1
    if done:
        changed(conn, RESULTS_SCREEN, poll_id)
    return done


def vote(conn: sqlite3.Connection, poll: Poll, channel: str, voter: str, option: int, comment_id: str | None = None) -> str:
    """Record a vote; returns 'counted', 'changed', 'unchanged' (a repeat, or a change the poll does not allow)."""
    if not (1 <= option <= len(poll.options)):
        raise ValueError(f"option {option} is not in poll {poll.id}")
    now = time.time()
    before = conn.execute("SELECT option FROM votes WHERE poll_id = ? AND channel = ? AND voter = ?",
                          (poll.id, channel, voter)).fetchone()
    update = ("DO UPDATE SET option = excluded.option, updated_at = excluded.updated_at, comment_id = excluded.comment_id"
              if poll.allow_change else "DO NOTHING")
    conn.execute(f"INSERT INTO votes (poll_id, channel, voter, option, created_at, updated_at, comment_id) "
                 f"VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT(poll_id, channel, voter) {update}",
                 (poll.id, channel, voter, option, now, now, comment_id))
    changed(conn, RESULTS_SCREEN, poll.id)
    if before is None:
        return "counted"
    return "changed" if poll.allow_change and before[0] != option else "unchanged"


def withdraw_comment(conn: sqlite3.Connection, comment_id: str) -> int:
    """A deleted comment (or one edited into something that is not a vote) no longer counts."""
    gone = conn.execute("DELETE FROM votes WHERE channel = 'comment' AND comment_id = ? RETURNING poll_id",
                        (comment_id,)).fetchall()
    for poll_id in {row[0] for row in gone}:
        changed(conn, RESULTS_SCREEN, poll_id)
    return len(gone)


def polls_for_video(conn: sqlite3.Connection, ids: set[str]) -> list[Poll]:
    if not ids:
        return []
    marks = ",".join("?" * len(ids))
    return [Poll.from_row(r) for r in conn.execute(
        f"SELECT * FROM polls WHERE state = 'open' AND video_id IN ({marks}) ORDER BY id", list(ids))]


def tally(conn: sqlite3.Connection, poll: Poll) -> list[int]:
    counts = dict(conn.execute("SELECT option, count(*) FROM votes WHERE poll_id = ? GROUP BY option", (poll.id,)).fetchall())
    return [counts.get(i, 0) for i in range(1, len(poll.options) + 1)]


def unlink(conn: sqlite3.Connection, voter: str) -> None:
    """A person deleted their data: their votes stay counted, no longer linked to them."""
    conn.execute("UPDATE votes SET voter = NULL WHERE voter = ?", (voter,))
