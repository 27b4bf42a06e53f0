"""The questions the bot could not answer well, the one owner of the `faq_misses` table.

A miss is a typed question the understanding step declined, was unsure of, answered by a thin margin, or that the
person said it answered wrongly ("not what I asked"), with its words as the step normalised them, the outcome, the
reason and the top candidates with their scores. Never a PSID: the person only as their pseudonym (scope PERSON),
so "delete my data" finds their questions. Organisers read them on the console's misses page and with `flask
--app app faq-misses`, and teach the bot from them; reports count them.
"""
from __future__ import annotations

import json
import math
import sqlite3
import time

from .. import textnorm
from ..store import ensure_table


def schema(db) -> None:
    ensure_table(
        db, "faq_misses",
        {"id": int, "at": float, "text": str, "normalised": str, "language": str, "outcome": str,
         "best_entry": str, "score": float,
         # The reading's top labels with their scores, JSON: [["dates", 0.52], ["@schedule", 0.49], ...]
         "candidates": str, "reason": str,
         "person_key": str},  # who asked, as a pseudonym (bot/privacy.py): "delete my data" finds their questions
        pk="id",
    )
    db.execute("CREATE INDEX IF NOT EXISTS faq_misses_at ON faq_misses(at)")


def declare(privacy) -> None:
    privacy.personal("faq_misses", person_key="person_key", kept_from="at", show=show)


def show(conn: sqlite3.Connection, person, words) -> list[str]:
    """The person's questions the bot could not answer well, word for word (the last ten)."""
    asked = [r[0] for r in conn.execute("SELECT text FROM faq_misses WHERE person_key = ? ORDER BY id DESC LIMIT 10",
                                        (person.key(),))]
    return [words.t("data_faq_misses", questions=" / ".join(q[:200] for q in reversed(asked)))] if asked else []


def record(conn: sqlite3.Connection, *, at: float, text: str, normalised: str, language: str, outcome: str,
           reading, person_key: str) -> None:
    """Log a miss: `reading` is the understanding step's Reading of `text` (None: not read)."""
    best = reading.best if reading else None
    candidates = [[c.label, round(c.score, 3)] for c in reading.candidates] if reading else []
    conn.execute(
        "INSERT INTO faq_misses (at, text, normalised, language, outcome, best_entry, score, candidates, reason, "
        "person_key) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (at, text[:500], normalised[:500], language, outcome, best.label if best else None,
         round(best.score, 3) if best else None, json.dumps(candidates), reading.reason if reading else None,
         person_key))


def frequent(conn: sqlite3.Connection, days: int = 7, limit: int = 20,
             between: tuple[float, float] | None = None) -> list[sqlite3.Row]:
    """Unanswered or unsure questions of the last `days` (or of `between`, Unix times [start, end)), the most
    frequent first (same wording counts once)."""
    start, end = between or (time.time() - days * 86400, math.inf)
    return conn.execute(
        "SELECT normalised, count(*) AS n, max(text) AS example, max(at) AS last, "
        "group_concat(DISTINCT outcome) AS outcomes, max(best_entry) AS guess, max(score) AS score, "
        "max(candidates) AS candidates, max(language) AS language "
        "FROM faq_misses WHERE at >= ? AND at < ? GROUP BY normalised ORDER BY n DESC, last DESC LIMIT ?",
        (start, end, limit)).fetchall()


def count(conn: sqlite3.Connection, start: float, end: float = math.inf) -> int:
    """Misses in [start, end)."""
    return conn.execute("SELECT count(*) FROM faq_misses WHERE at >= ? AND at < ?", (start, end)).fetchone()[0]


def taught(conn: sqlite3.Connection, normalised: str) -> int:
    """The bot was taught this wording: its misses leave the list."""
    return conn.execute("DELETE FROM faq_misses WHERE normalised = ?", (normalised,)).rowcount


def first_at(conn: sqlite3.Connection) -> float | None:
    return conn.execute("SELECT min(at) FROM faq_misses").fetchone()[0]


def listing(conn: sqlite3.Connection, days: int = 7, limit: int = 100) -> list[dict]:
    """`frequent`, each with its candidates parsed and the language its words are in (the console's page)."""
    return [{**dict(row), "candidates": json.loads(row["candidates"]) if row["candidates"] else [],
             "language": textnorm.message_language(row["example"]) or row["language"] or "th"}
            for row in frequent(conn, days=days, limit=limit)]


def times(conn: sqlite3.Connection, since: float) -> list[float]:
    """When each miss since `since` happened (Unix times, in order): the dashboard's misses over time."""
    return [r[0] for r in conn.execute("SELECT at FROM faq_misses WHERE at >= ? ORDER BY at", (since,))]
