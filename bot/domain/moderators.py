"""Moderators' console accounts, sessions and failed log-ins: the one owner of `moderators`, `console_sessions` and
`login_failures`, and the rules the console's log-in keeps (bot/console/__init__.py says why each one).

- An account is a name and a password hash (scrypt).
- A session lives here, as the SHA-256 of its random token only: deleting the row ends it at once, whatever
  cookie is copied. Idle for CONSOLE_IDLE_MINUTES or SESSION_LIFETIME after log-in, it ends.
- Failed log-ins: at most FAILED_LOGIN_LIMIT per 15 minutes per (name, address) and ADDRESS_FAILURE_LIMIT per
  address; nothing per name alone, so one address cannot lock a moderator out elsewhere (OWASP's Authentication
  Cheat Sheet).
- Refused log-ins go to the audit log one by one up to AUDITED_REFUSALS per 15 minutes, then into one summary row.
"""
from __future__ import annotations

import hashlib
import json
import secrets
import sqlite3

from werkzeug.security import check_password_hash, generate_password_hash

from ..store import put_state, read_state
from . import audit
from .clock import local_time

FAILED_LOGIN_WINDOW = 15 * 60
FAILED_LOGIN_LIMIT = 5  # per (name, address) in the window
ADDRESS_FAILURE_LIMIT = 20  # per address, whatever the names, in the window
AUDITED_REFUSALS = 20  # refused log-ins audited one by one per window; the rest go into one summary row
REFUSALS_KEY = "console_login_refusals"
SESSION_LIFETIME = 12 * 3600


def schema(db) -> None:
    db.execute("CREATE TABLE IF NOT EXISTS moderators (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, "
               "password_hash TEXT NOT NULL, created_at REAL NOT NULL, last_login_at REAL)")
    db.execute("CREATE TABLE IF NOT EXISTS login_failures (id INTEGER PRIMARY KEY, at REAL NOT NULL, name TEXT, address TEXT)")
    db.execute("CREATE INDEX IF NOT EXISTS login_failures_at ON login_failures(at)")
    db.execute("CREATE TABLE IF NOT EXISTS console_sessions (id INTEGER PRIMARY KEY, token_hash TEXT NOT NULL UNIQUE, "
               "moderator TEXT NOT NULL, created_at REAL NOT NULL, last_seen_at REAL NOT NULL, address TEXT)")
    db.execute("CREATE INDEX IF NOT EXISTS console_sessions_moderator ON console_sessions(moderator)")


def declare(privacy) -> None:
    privacy.personal("moderators", why="moderators' accounts (name, password hash): `flask --app app remove-moderator`")
    privacy.personal("login_failures", kept_from="at", max_age_days=1,
                     why="names typed and addresses of failed log-ins, for the lock-out; nothing about citizens")
    privacy.personal("console_sessions", kept_from="last_seen_at", max_age_days=1,
                     why="moderators' sessions (address); deleted at log-out, expired ones by the retention")


# -- accounts -----------------------------------------------------------------------------------------------------
def save_account(conn: sqlite3.Connection, name: str, password_hash: str, now: float) -> int:
    """Create the account or reset its password; every session of it ends. Returns how many ended."""
    conn.execute("INSERT INTO moderators (name, password_hash, created_at) VALUES (?, ?, ?) ON CONFLICT(name) "
                 "DO UPDATE SET password_hash = excluded.password_hash", (name, password_hash, now))
    return end_sessions(conn, name)


def remove_account(conn: sqlite3.Connection, name: str) -> int | None:
    """Remove the account and end its sessions (how many); None when there is no such account."""
    if not conn.execute("DELETE FROM moderators WHERE name = ?", (name,)).rowcount:
        return None
    return end_sessions(conn, name)


def hash_password(password: str) -> str:
    """The stored form of a password: scrypt, salted (werkzeug.security)."""
    return generate_password_hash(password)


def password_ok(conn: sqlite3.Connection, name: str, password: str) -> bool:
    """Whether `password` is `name`'s. A hash is checked even for an unknown name, so the time it takes does not
    tell which names exist. Slow on purpose (scrypt): call it outside the write lock."""
    row = conn.execute("SELECT password_hash FROM moderators WHERE name = ?", (name,)).fetchone()
    return check_password_hash(row["password_hash"] if row else _DUMMY_HASH, password) and row is not None


_DUMMY_HASH = generate_password_hash(secrets.token_hex(16))


def logged_in(conn: sqlite3.Connection, name: str, address: str | None, now: float) -> str:
    """A successful log-in: its failures are forgotten; returns the new session's token (the cookie's; this
    table keeps only its hash)."""
    conn.execute("UPDATE moderators SET last_login_at = ? WHERE name = ?", (now, name))
    conn.execute("DELETE FROM login_failures WHERE name = ? AND address IS ?", (name, address))
    token = secrets.token_urlsafe(32)
    conn.execute("INSERT INTO console_sessions (token_hash, moderator, created_at, last_seen_at, address) "
                 "VALUES (?, ?, ?, ?, ?)", (token_hash(token), name, now, now, address))
    return token


# -- sessions -----------------------------------------------------------------------------------------------------
def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def session(conn: sqlite3.Connection, token: str) -> sqlite3.Row | None:
    """(id, moderator, created_at, last_seen_at) of the session of `token`, if it exists."""
    return conn.execute("SELECT id, moderator, created_at, last_seen_at FROM console_sessions WHERE token_hash = ?",
                        (token_hash(token),)).fetchone()


def end_session(conn: sqlite3.Connection, *, session_id: int | None = None, token: str | None = None) -> bool:
    if session_id is not None:
        return bool(conn.execute("DELETE FROM console_sessions WHERE id = ?", (session_id,)).rowcount)
    return bool(conn.execute("DELETE FROM console_sessions WHERE token_hash = ?", (token_hash(token or ""),)).rowcount)


def end_sessions(conn: sqlite3.Connection, name: str) -> int:
    """End every session of `name` (password reset, account removed). Returns how many."""
    return conn.execute("DELETE FROM console_sessions WHERE moderator = ?", (name,)).rowcount


def touch(conn: sqlite3.Connection, session_id: int, now: float) -> None:
    """A moderator's click: the session is not idle."""
    conn.execute("UPDATE console_sessions SET last_seen_at = ? WHERE id = ?", (now, session_id))


# -- failed log-ins -----------------------------------------------------------------------------------------------
def locked_out(conn: sqlite3.Connection, name: str, address: str | None, now: float) -> bool:
    since = now - FAILED_LOGIN_WINDOW
    by_pair = conn.execute("SELECT count(*) FROM login_failures WHERE at > ? AND name = ? AND address IS ?",
                           (since, name, address)).fetchone()[0]
    by_address = conn.execute("SELECT count(*) FROM login_failures WHERE at > ? AND address IS ?",
                              (since, address)).fetchone()[0]
    return by_pair >= FAILED_LOGIN_LIMIT or by_address >= ADDRESS_FAILURE_LIMIT


def attempt(conn: sqlite3.Connection, name: str, address: str | None, now: float) -> None:
    """A log-in attempt counts as a failure until its password checks out (`logged_in` forgets it)."""
    conn.execute("INSERT INTO login_failures (at, name, address) VALUES (?, ?, ?)", (now, name, address))


def refused(conn: sqlite3.Connection, name: str, address: str | None, reason: str, now: float, tz) -> None:
    """A refused log-in in the audit log: one row each for the first AUDITED_REFUSALS of a 15-minute window, then a
    single summary row for the window, updated with the count."""
    window = int(now // FAILED_LOGIN_WINDOW)
    kept = read_state(conn, REFUSALS_KEY).get(REFUSALS_KEY)
    state = json.loads(kept) if kept else {}
    if state.get("window") != window:
        state = {"window": window, "itemised": 0, "more": 0, "summary": None, "addresses": []}
    if state["itemised"] < AUDITED_REFUSALS:
        audit.record(conn, name or None, "login_failed", reason, address)
        state["itemised"] += 1
    else:
        state["more"] += 1
        if address not in state["addresses"] and len(state["addresses"]) < 100:
            state["addresses"].append(address)
        started = local_time(window * FAILED_LOGIN_WINDOW, tz)
        sources = len(state["addresses"])
        detail = (f"{state['more']} more refused log-ins in the 15 minutes from {started}, not listed one by one, "
                  f"from {sources}{'+' if sources >= 100 else ''} address{'es' if sources != 1 else ''}; "
                  f"the last: name {name[:40]!r}, {reason}")
        if state["summary"] is None:
            state["summary"] = audit.record(conn, None, "login_failed_summary", detail, address)
        else:
            audit.amend(conn, state["summary"], detail, address)
    put_state(conn, REFUSALS_KEY, json.dumps(state), now)
