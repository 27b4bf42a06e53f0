"""Questions for the speakers as operators take them away: one question as a record, and the CSV or JSON export
(`flask --app app qa export`, the console's "export"). No table of its own (questions.py owns the data).

The asker appears only as the first name they chose to show, and as a pseudonymous id: the same person's
questions share one (HMAC with the server's secret, scope "qa-export", bot/privacy.py), which says nothing about
who they are and cannot be matched with the ids of any other export.
"""
from __future__ import annotations

import json
import sqlite3
from typing import Callable

from ..csv_export import csv_document
from . import questions

FIELDS = ("id", "session", "text", "original", "status", "reason", "name", "channel", "flagged", "merged_into",
          "upvotes", "answered", "answered_in_stream", "created_at")


def as_dict(q: questions.Question) -> dict:
    """A question for operators: the asker only as shown (a name they chose, or none), never their id."""
    return {"id": q.id, "session": q.session_id, "text": q.text, "original": q.original, "status": q.status,
            "reason": q.reason, "name": q.shown_name, "channel": q.channel, "flagged": q.flagged,
            "merged_into": q.merged_into, "upvotes": q.upvotes, "answered": q.answered_at is not None,
            "answered_in_stream": q.answered_in_stream, "created_at": q.created_at}


def export(conn: sqlite3.Connection, pseudonym: Callable[[str, str], str], session_id: str | None, fmt: str) -> str:
    """Every question (of a session) as "csv" (UTF-8 with a BOM, no formulas) or "json"; `pseudonym(scope, id)`
    is the privacy registry's."""
    listed = [q for q in questions.every(conn) if session_id is None or q.session_id == session_id]
    rows = [{**as_dict(q), "asker": pseudonym("qa-export", q.asker)[3:15] if q.asker else None} for q in listed]
    if fmt == "json":
        return json.dumps(rows, ensure_ascii=False) + "\n"
    fields = (*FIELDS, "asker")
    return csv_document(fields, ([r[f] for f in fields] for r in rows))
