"""The audit log: who did what, when, from where. Every console action and operator command writes one row.

A row about a citizen (a moderator's reply to them, handing them back to the bot) names them in `subject` by
their pseudonym (bot/privacy.py, scope PERSON), so that "delete my data" erases the row's detail (what the
moderator wrote to them, their PSID) and keeps that the action happened.
"""
from __future__ import annotations

import time

from ..privacy import ERASED_NOTE


def schema(db) -> None:
    db.execute("CREATE TABLE IF NOT EXISTS audit_log (id INTEGER PRIMARY KEY, at REAL NOT NULL, moderator TEXT, "
               "action TEXT NOT NULL, detail TEXT, address TEXT, subject TEXT)")


def subjects(db) -> None:
    """Migration: entries about a citizen name them (their pseudonym), so erasure can find them (a database from
    before has no such column)."""
    if "subject" not in db["audit_log"].columns_dict:
        db["audit_log"].add_column("subject", str)
    db.execute("CREATE INDEX IF NOT EXISTS audit_log_subject ON audit_log(subject) WHERE subject IS NOT NULL")


def record(conn, who: str | None, action: str, detail: str = "", address: str | None = None,
           subject: str | None = None) -> int:
    """Write one entry inside the caller's transaction (so the action and its record commit together).

    `subject`: the pseudonym of the person the action concerns, if any. Returns the row's id."""
    return conn.execute("INSERT INTO audit_log (at, moderator, action, detail, address, subject) VALUES (?, ?, ?, ?, ?, ?)",
                        (time.time(), who, action, detail[:500], address, subject)).lastrowid


def amend(conn, entry_id: int, detail: str, address: str | None) -> None:
    """Rewrite an entry's detail (a summary row that keeps counting)."""
    conn.execute("UPDATE audit_log SET detail = ?, address = ? WHERE id = ?", (detail[:500], address, entry_id))


def erase_subject(conn, person) -> int:
    """A person asked to be forgotten: entries about them keep who did what and when, not what it said."""
    return conn.execute("UPDATE audit_log SET detail = ?, subject = NULL WHERE subject = ?",
                        (ERASED_NOTE, person.key())).rowcount


def recent(conn, limit: int = 100) -> list:
    return conn.execute("SELECT at, moderator, action, detail, address FROM audit_log ORDER BY id DESC LIMIT ?",
                        (limit,)).fetchall()


def declare(privacy) -> None:
    privacy.personal("audit_log", erase=erase_subject, kept_from="at", show=show)


def show(conn, person, words) -> list[str]:
    """How many of the moderators' actions about the person the audit log records (a reply to them)."""
    count = conn.execute("SELECT count(*) FROM audit_log WHERE subject = ?", (person.key(),)).fetchone()[0]
    return [words.t("data_audit", count=count)] if count else []
