"""Registrations: the participants, the one owner of the `registrations` table.

One registration per person (a UNIQUE PSID), a number such as OGP4-000123 that is never given twice (AUTOINCREMENT),
`registered` or `waitlisted` past REGISTRATION_CAPACITY (a place given up goes to the first of the waitlist), kept from the person's consent (the retention counts from
it). The form that fills it is handlers/registration.py; the console, the shell, broadcasts, reminders and reports
read it through the functions here.
"""
from __future__ import annotations

import sqlite3

from ..csv_export import csv_document
from .contact import parse_contact
from ..messenger.people import Who

ROLES = ("citizen", "student", "government", "private", "other")
STATUSES = ("registered", "waitlisted")
NUMBER_PREFIX = "OGP4-"
EXPORT_COLUMNS = ("number", "status", "full_name", "contact_kind", "contact", "role", "topic", "team", "language",
                  "consent_at", "created_at", "updated_at")


def schema(db) -> None:
    db.execute("""
        CREATE TABLE IF NOT EXISTS registrations (
            id INTEGER PRIMARY KEY AUTOINCREMENT,  -- AUTOINCREMENT: a deleted number is never given again
            psid TEXT NOT NULL UNIQUE,             -- one registration per person, enforced here
            number TEXT UNIQUE,
            status TEXT NOT NULL,                  -- registered | waitlisted
            full_name TEXT NOT NULL,
            contact_kind TEXT NOT NULL,            -- email | phone
            contact TEXT NOT NULL,
            role TEXT NOT NULL,
            topic TEXT NOT NULL,
            team TEXT,
            language TEXT,
            consent_at REAL NOT NULL,
            created_at REAL NOT NULL,
            updated_at REAL NOT NULL
        )""")


def declare(privacy) -> None:
    privacy.personal("registrations", person="psid", kept_from="consent_at", show=show)


def show(conn: sqlite3.Connection, person, words) -> list[str]:
    """The registration, every field of it."""
    reg = of(conn, person.psid)
    if reg is None:
        return []
    contact = parse_contact(reg["contact"])
    return [words.t("data_registered", registration=words.t(
        "data_registration", number=reg["number"], status=words.t(f"status_{reg['status']}"), name=reg["full_name"],
        contact=contact.display if contact else reg["contact"],
        role=words.t(f"role_{reg['role']}"), topic=words.t(f"topic_{reg['topic']}"), team=reg["team"] or "-",
        consented=words.when(reg["consent_at"])))]


def of(conn: sqlite3.Connection, psid: str) -> sqlite3.Row | None:
    """The person's registration, or None."""
    return conn.execute("SELECT * FROM registrations WHERE psid = ?", (psid,)).fetchone()


def save(conn: sqlite3.Connection, psid: str, fields: dict, capacity: int, now: float) -> tuple[str, str, bool]:
    """Register `psid` or update their registration with `fields` (full_name, contact_kind, contact, role, topic,
    team, language; consent_at for a new one). Returns (number, status, was it an update). Past `capacity`
    registered participants (0: no limit), a new one joins the waitlist."""
    columns = ("full_name", "contact_kind", "contact", "role", "topic", "team", "language")
    values = tuple(fields.get(c) for c in columns)
    existing = of(conn, psid)
    if existing is not None:
        conn.execute(f"UPDATE registrations SET {', '.join(f'{c} = ?' for c in columns)}, updated_at = ? WHERE psid = ?",
                     (*values, now, psid))
        return existing["number"], existing["status"], True
    full = capacity and conn.execute(
        "SELECT count(*) FROM registrations WHERE status = 'registered'").fetchone()[0] >= capacity
    status = "waitlisted" if full else "registered"
    row_id = conn.execute(
        f"INSERT INTO registrations (psid, status, {', '.join(columns)}, consent_at, created_at, updated_at) "
        f"VALUES (?, ?, {', '.join('?' * len(columns))}, ?, ?, ?)",
        (psid, status, *values, fields["consent_at"], now, now)).lastrowid
    number = f"{NUMBER_PREFIX}{row_id:06d}"
    conn.execute("UPDATE registrations SET number = ? WHERE id = ?", (number, row_id))
    return number, status, False


def cancel(conn: sqlite3.Connection, psid: str, capacity: int, now: float) -> tuple[sqlite3.Row | None, sqlite3.Row | None]:
    """The person withdraws: their registration is deleted (nothing of it kept), and when it held a place under
    `capacity`, the first of the waitlist (by number) takes it. Returns (the registration cancelled or None, the
    registration promoted or None)."""
    mine = of(conn, psid)
    if mine is None:
        return None, None
    conn.execute("DELETE FROM registrations WHERE psid = ?", (psid,))
    promoted = None
    if mine["status"] == "registered" and capacity:
        promoted = conn.execute(
            "UPDATE registrations SET status = 'registered', updated_at = ? WHERE id = (SELECT id FROM registrations "
            "WHERE status = 'waitlisted' ORDER BY id LIMIT 1) AND (SELECT count(*) FROM registrations WHERE "
            "status = 'registered') < ? RETURNING *", (now, capacity)).fetchone()
    return mine, promoted


# -- reading them -------------------------------------------------------------------------------------------------
def rows(conn: sqlite3.Connection, search: str = "") -> list[dict]:
    """Registrations in order, optionally those whose number, name, contact or team contain `search`."""
    like = f"%{search.strip()}%"
    return [dict(row) for row in conn.execute(
        f"SELECT {', '.join(EXPORT_COLUMNS)} FROM registrations WHERE ? = '%%' OR number LIKE ? OR full_name LIKE ? "
        "OR contact LIKE ? OR coalesce(team, '') LIKE ? ORDER BY id", (like, like, like, like, like))]


def as_csv(registrations: list[dict]) -> str:
    """CSV in UTF-8 with a BOM, so Excel shows Thai; no cell runs as a formula (bot/csv_export.py)."""
    return csv_document(EXPORT_COLUMNS, ([row[c] for c in EXPORT_COLUMNS] for row in registrations))


def counts(conn: sqlite3.Connection) -> dict[str, dict[str, int]]:
    """{"status": {...}, "role": {...}, "topic": {...}}: registrations counted each way."""
    return {column: dict(conn.execute(f"SELECT {column}, count(*) FROM registrations GROUP BY {column}").fetchall())
            for column in ("status", "role", "topic")}


def by(conn: sqlite3.Connection, column: str) -> list[sqlite3.Row]:
    """(value, n) of `column` ("role": the most first; "topic": in order)."""
    order = "n DESC" if column == "role" else column
    return conn.execute(f"SELECT {column}, count(*) AS n FROM registrations GROUP BY {column} "
                        f"ORDER BY {order}").fetchall()


def confirmed_between(conn: sqlite3.Connection, start: float, end: float) -> list[sqlite3.Row]:
    """(status, role, topic, team, created_at) of the registrations confirmed in [start, end), in order."""
    return conn.execute("SELECT status, role, topic, team, created_at FROM registrations "
                        "WHERE created_at >= ? AND created_at < ? ORDER BY id", (start, end)).fetchall()


def first_at(conn: sqlite3.Connection) -> float | None:
    return conn.execute("SELECT min(created_at) FROM registrations").fetchone()[0]


# -- who, for other tables' queries ---------------------------------------------------------------------------------
def registered() -> Who:
    """Registered participants (not the waitlist)."""
    return Who("SELECT psid FROM registrations WHERE status = 'registered'", {})


def of_topic(topic_param: str) -> str:
    """The people who chose the topic `topic_param` (an SQL parameter) when registering, as a PSID subquery."""
    return f"SELECT psid FROM registrations WHERE topic = {topic_param}"


def created_times(conn: sqlite3.Connection) -> list[tuple[float, str]]:
    """(when, topic) of every registration, in order: the dashboard's registrations by day and topic."""
    return [(r[0], r[1]) for r in conn.execute("SELECT created_at, topic FROM registrations ORDER BY created_at")]
