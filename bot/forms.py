"""Multi-step forms in a chat (like python-telegram-bot's ConversationHandler): where each person is, durably.

The state is a row per person, written in the same transaction as the event that moved the form on, so a
redelivered or replayed event cannot skip or repeat a step, and a person who leaves and comes back days later
finds the form where they left it, unless it sat idle for longer than `IDLE_SECONDS` (then it is gone).
"""
from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass, field

from .store import ensure_table

IDLE_SECONDS = 24 * 3600


def schema(db) -> None:
    ensure_table(db, "form_state", {"psid": str, "form": str, "step": str, "data": str, "started_at": float,
                                    "updated_at": float}, pk="psid", not_null={"form", "step", "data"})


@dataclass
class FormState:
    psid: str
    form: str
    step: str
    data: dict = field(default_factory=dict)
    started_at: float = 0.0


def load(conn: sqlite3.Connection, psid: str, now: float) -> FormState | None:
    row = conn.execute("SELECT * FROM form_state WHERE psid = ?", (psid,)).fetchone()
    if row is None:
        return None
    if now - row["updated_at"] > IDLE_SECONDS:
        conn.execute("DELETE FROM form_state WHERE psid = ?", (psid,))
        return None
    return FormState(psid, row["form"], row["step"], json.loads(row["data"]), row["started_at"])


def declare(privacy) -> None:
    # A form idle for a day is gone for the person; what they typed into it goes too.
    privacy.personal("form_state", person="psid", kept_from="updated_at", max_age_days=IDLE_SECONDS / 86400)


def save(conn: sqlite3.Connection, state: FormState, now: float) -> None:
    conn.execute(
        "INSERT INTO form_state (psid, form, step, data, started_at, updated_at) VALUES (?, ?, ?, ?, ?, ?) "
        "ON CONFLICT(psid) DO UPDATE SET form = excluded.form, step = excluded.step, data = excluded.data, "
        "updated_at = excluded.updated_at",
        (state.psid, state.form, state.step, json.dumps(state.data, ensure_ascii=False), state.started_at or now, now),
    )


def clear(conn: sqlite3.Connection, psid: str) -> None:
    conn.execute("DELETE FROM form_state WHERE psid = ?", (psid,))
