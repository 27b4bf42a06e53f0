"""Operator alerts: what a person has to act on, kept where the console and `/healthz` show it.

Raised when Facebook refuses a message tag or a utility template (error 100: the template was disabled or
rejected after approval, or a tag was retired), so the operator runs `flask --app app templates sync` or fixes
the content. One alert per subject per hour (`key`): ten thousand refused messages are one alert with a count,
not ten thousand lines. Pausing for an invalid token or a restricted Page is shown from the sender's own state.
"""
from __future__ import annotations

import logging
import time

from ..logs import event as log_event
from ..store import ensure_table
from . import utility_messages
from .outbox import enqueue
from .replies import Outgoing, Text

log = logging.getLogger(__name__)


def schema(db) -> None:
    ensure_table(db, "alerts", {"key": str, "kind": str, "message": str, "first_at": float, "last_at": float,
                                "count": int}, pk="key", not_null={"kind", "message", "first_at", "last_at"},
                 defaults={"count": 1})


def record(conn, kind: str, key: str, message: str, now: float | None = None) -> bool:
    """Record an alert inside the caller's transaction; True when it is new (say it), False when it repeats."""
    now = time.time() if now is None else now
    count = conn.execute(
        "INSERT INTO alerts (key, kind, message, first_at, last_at) VALUES (?, ?, ?, ?, ?) "
        "ON CONFLICT(key) DO UPDATE SET count = count + 1, last_at = excluded.last_at, message = excluded.message "
        "RETURNING count", (key, kind, message[:1000], now, now)).fetchone()[0]
    return count == 1


def recent(conn, since_seconds: float = 24 * 3600, now: float | None = None) -> list:
    now = time.time() if now is None else now
    return conn.execute("SELECT kind, message, first_at, last_at, count FROM alerts WHERE last_at > ? "
                        "ORDER BY last_at DESC LIMIT 20", (now - since_seconds,)).fetchall()


def facebook_refused(conn, utility: dict | None, tag: str | None, error: str, moderators, now: float) -> None:
    """Facebook refused a utility template (`utility`, the fallback sent) or a message tag: the template is not
    used again until `templates sync`; operators hear of it once an hour, moderators by Messenger too."""
    if utility:
        utility_messages.mark_refused(conn, utility["name"], utility["language"], error)
        subject = f"{utility['name']}:{utility['language']}"
    else:
        subject = f"tag:{tag}"
    key = f"refused:{subject}:{int(now // 3600)}"
    if record(conn, "facebook_refused", key, error, now):
        log_event(log, "alert.facebook_refused", logging.ERROR, subject=subject, error=error)
        text = f"⚠️ Facebook refused a message ({subject}): {error[:300]}\nRun: flask --app app templates sync"
        enqueue(conn, None, [Outgoing(Text(text), recipient={"id": m}, intent="UPDATE", dedup_key=f"{key}:{m}")
                             for m in sorted(moderators)], now=now)


def declare(privacy) -> None:
    privacy.not_personal("alerts", why="operator alerts about the Page and its templates (a refused template, a "
                                       "restricted Page), never about a person")
