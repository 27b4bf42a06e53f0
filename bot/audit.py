"""The audit log: who did what, when, from where. Every console action and operator command writes one row."""
from __future__ import annotations

import time


def schema(db) -> None:
    db.execute("CREATE TABLE IF NOT EXISTS audit_log (id INTEGER PRIMARY KEY, at REAL NOT NULL, moderator TEXT, "
               "action TEXT NOT NULL, detail TEXT, address TEXT)")


def record(conn, who: str | None, action: str, detail: str = "", address: str | None = None) -> None:
    """Write one entry inside the caller's transaction (so the action and its record commit together)."""
    conn.execute("INSERT INTO audit_log (at, moderator, action, detail, address) VALUES (?, ?, ?, ?, ?)",
                 (time.time(), who, action, detail[:500], address))


def recent(conn, limit: int = 100) -> list:
    return conn.execute("SELECT at, moderator, action, detail, address FROM audit_log ORDER BY id DESC LIMIT ?",
                        (limit,)).fetchall()
