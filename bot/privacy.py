"""Personal data (PDPA): what the bot keeps about people, how each piece of it ends, and pseudonymous keys.

One registry per runtime, `bot.privacy`, which every feature fills in its `register(bot)` with one line per
table it owns (see "Declaring a table" below). It does three jobs:

- **Erasure.** "delete my data" (handlers/privacy.py) calls `erase(conn, psid)`: every declared table gives up
  what it holds about that person, in the transaction of the request. The request also asks for a WAL scrub:
  once it has committed, the lease holder checkpoints and truncates the write-ahead log of every database
  file (`scrub_if_requested`), and since every connection runs with `PRAGMA secure_delete=ON`, deleted and
  overwritten content is zeroed rather than left in free pages. No file the bot keeps holds the erased text.
- **Retention.** `purge(stores)` removes what is older than RETENTION_DAYS (the consent text promises "at most
  1 year"), in short transactions; the lease holder runs it every hour (schedules/retention.py) and
  `flask --app app purge --dry-run` shows what it would remove.
- **Counting people once without keeping who they are.** `pseudonym(secret, scope, psid)` is a one-way key:
  HMAC-SHA256 of the PSID with a server secret (PSEUDONYM_KEY, else instance/pseudonym.key). A vote stored
  under it stays counted and still blocks a second vote after its voter asked to be forgotten, yet nobody
  without the secret can tell whose it is. Keys of different scopes (one poll, another poll) cannot be joined.

Declaring a table (every table of every database file must be declared; tests/test_privacy.py fails otherwise,
naming the table, so a new feature cannot forget):

    bot.privacy.personal("subscriptions", person="psid", kept_from="created_at")
    bot.privacy.personal("faq_misses", person_key="person_key", kept_from="at")
    bot.privacy.personal("votes", erase=unlink_comments, purge=drop_keys_of_closed_polls, why="...")
    bot.privacy.not_personal("polls", why="questions and options moderators wrote")

`person=` names the column holding the PSID (rows are deleted on erasure), `person_key=` a column holding
`pseudonym(PERSON, psid)` (same), `erase=` does anything else, as `erase(conn, person) -> rows`; `kept_from=`
names the timestamp column from which a row's age counts (rows older than the retention are deleted),
`purge=` does anything else, as `purge(conn, cutoff, limit) -> rows`; `max_age_days=` keeps rows shorter than
RETENTION_DAYS. A personal table without one of the two routes says why in `why=`.

Showing ("my data", the PDPA's right of access): a table that keeps something about a person (one with a route to
erase them) says what it holds for them with `show=`, as `show(conn, person, words) -> [item, ...]` (one short
paragraph per item, in the person's language: `words.t(key, **values)`, `words.when(stamp)`), or why there is
nothing to show in `unshown=`. `shown(...)` gathers every table's items; a table that does neither is named by
`not_shown()` (tests/test_privacy_rights.py fails on it). A table whose owner declares it elsewhere can be given
its `show` with `show_with(table, show)`.
"""
from __future__ import annotations

import hashlib
import hmac
import json
import logging
import sqlite3
import time
from dataclasses import dataclass
from typing import Callable, Iterable, Mapping

from .logs import event as log_event
from .store import Store, drop_state, put_state

log = logging.getLogger(__name__)

PERSON = "person"  # the scope of keys that stand for a person across tables (erasure looks them up)
ERASED = json.dumps({"erased": True})  # what an erased inbox event or outbox message becomes
ERASED_NOTE = "[ลบตามคำขอ / erased on request]"  # what moderators see in its place
SCRUB_KEY = "privacy_wal_scrub_requested"
PURGE_CHUNK = 1000  # rows per transaction: a purge of a year's data never holds the write lock for long
DAY = 86400.0


def pseudonym(secret: str | None, scope: str, person: str) -> str:
    """A one-way key for `person` (a PSID or a commenter id) within `scope` ("poll:12", PERSON, ...).

    "p1:" + 32 hex digits (128 bits of HMAC-SHA256 over scope and person, keyed with the server secret).
    Equal inputs give equal keys, so a UNIQUE constraint on the key counts each person once; without the
    secret the key reveals nothing, and keys of different scopes cannot be matched with each other.
    Raises ValueError when there is no secret (create_app always provides one).
    """
    if not secret:
        raise ValueError("no pseudonym key: set PSEUDONYM_KEY or let create_app keep one in instance/pseudonym.key")
    digest = hmac.new(secret.encode(), f"{scope}\x1f{person}".encode(), hashlib.sha256).hexdigest()
    return f"p1:{digest[:32]}"


@dataclass(frozen=True)
class Person:
    """The person being erased, as erasers see them."""

    psid: str
    now: float
    secret: str
    inbox_id: int | None = None  # the event that asked for the erasure, if it came from the chat

    def key(self, scope: str = PERSON) -> str:
        return pseudonym(self.secret, scope, self.psid)


@dataclass(frozen=True)
class Words:
    """How a table's `show` writes for the person: `t(key, **values)` a text in their language, `when(stamp)` a
    moment as readers of their language write it."""

    t: Callable[..., str]
    when: Callable[[float | None], str]
    lang: str = "th"


Eraser = Callable[[sqlite3.Connection, Person], int]
Purger = Callable[[sqlite3.Connection, float, "int | None"], int]
Shower = Callable[[sqlite3.Connection, Person, Words], "list[str]"]


@dataclass(frozen=True)
class Declaration:
    table: str
    database: str  # "main" or "staging"
    personal: bool
    erase: Eraser | None
    purge: Purger | None
    max_age_days: float | None
    why: str


class PersonalData:
    """The registry of what every table keeps about people, and the erasure and retention built on it."""

    def __init__(self, secret: str | None, retention_days: float):
        self.secret = secret
        self.retention_days = retention_days
        self.tables: dict[tuple[str, str], Declaration] = {}
        self.showers: dict[str, Shower] = {}  # table (main database) -> what it holds for a person, shown
        self.unshown: dict[str, str] = {}  # table -> why it has nothing of a person's to show

    # -- declaring ----------------------------------------------------------------------------------------
    def personal(self, table: str, *, person: str | None = None, person_key: str | None = None,
                 erase: Eraser | None = None, kept_from: str | None = None, purge: Purger | None = None,
                 max_age_days: float | None = None, why: str = "", database: str = "main",
                 show: Shower | None = None, unshown: str = "") -> None:
        """Declare a table that keeps something about people, how it ends and how it is shown (see the module
        docstring)."""
        routes = [r for r in (person, person_key, erase) if r is not None]
        if len(routes) > 1:
            raise ValueError(f"{table}: give one of person=, person_key= or erase=")
        if (kept_from is not None) and (purge is not None):
            raise ValueError(f"{table}: give kept_from= or purge=, not both")
        if not routes and not why:
            raise ValueError(f"{table}: nothing erases a person's rows; say why= (or give person= / erase=)")
        if kept_from is None and purge is None and not why:
            raise ValueError(f"{table}: nothing ends its rows in time; say why= (or give kept_from= / purge=)")
        if database != "main" and routes:
            raise ValueError(f"{table}: erasure runs in the main database's transaction")
        if person is not None:
            erase = _delete_where(table, person, lambda p: p.psid)
        elif person_key is not None:
            erase = _delete_where(table, person_key, lambda p: p.key(PERSON))
        if kept_from is not None:
            purge = _delete_older(table, kept_from)
        self._add(Declaration(table, database, True, erase, purge, max_age_days, why))
        if show is not None:
            self.show_with(table, show)
        if unshown:
            self.unshown[table] = unshown

    def not_personal(self, table: str, *, why: str, database: str = "main") -> None:
        """Declare a table that keeps nothing about people (say what it keeps instead)."""
        if not why:
            raise ValueError(f"{table}: say what it keeps (why=)")
        self._add(Declaration(table, database, False, None, None, None, why))

    def _add(self, declaration: Declaration) -> None:
        key = (declaration.database, declaration.table)
        if key in self.tables:
            raise ValueError(f"table {declaration.table} ({declaration.database}) is declared twice")
        self.tables[key] = declaration

    def undeclared(self, databases: Mapping[str, sqlite3.Connection]) -> list[str]:
        """Tables of these databases ({"main": conn, "staging": conn}) that no feature declared."""
        missing = []
        for name, conn in databases.items():
            for (table,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table' "
                                         "AND name NOT LIKE 'sqlite_%' ORDER BY name"):
                if (name, table) not in self.tables:
                    missing.append(f"{name}.{table}")
        return missing

    # -- showing ------------------------------------------------------------------------------------------
    def show_with(self, table: str, show: Shower) -> None:
        """Give a table's `show` (its owner's own query, in the main database)."""
        if table in self.showers:
            raise ValueError(f"table {table} is shown twice")
        self.showers[table] = show

    def shows_nothing(self, table: str, why: str) -> None:
        """Say why a table has nothing of a person's to show (it is declared by its owner elsewhere)."""
        self.unshown[table] = why

    def shown(self, conn: sqlite3.Connection, psid: str, words: Words, now: float | None = None) -> list[str]:
        """Everything every table holds for `psid`, as items in the person's language (tables in declaration order,
        then those shown by another module)."""
        person = Person(psid, time.time() if now is None else now, self.secret or "")
        order = [d.table for d in self.tables.values() if d.database == "main"]
        tables = [t for t in order if t in self.showers] + [t for t in self.showers if t not in order]
        return [item for table in tables for item in self.showers[table](conn, person, words)]

    def not_shown(self) -> list[str]:
        """Tables that keep something about a person (they can erase them) yet neither show it nor say why not."""
        return [d.table for d in self.tables.values()
                if d.personal and d.erase is not None and d.table not in self.showers and d.table not in self.unshown]

    # -- pseudonyms ---------------------------------------------------------------------------------------
    def pseudonym(self, scope: str, person: str) -> str:
        return pseudonym(self.secret, scope, person)

    def person_key(self, psid: str) -> str:
        """The key a person's rows are kept under where their PSID is not (scope PERSON): an audit row about them."""
        return pseudonym(self.secret, PERSON, psid)

    # -- erasure ------------------------------------------------------------------------------------------
    def erase(self, conn: sqlite3.Connection, psid: str, now: float | None = None,
              inbox_id: int | None = None) -> dict[str, int]:
        """Erase everything about `psid`, inside the caller's write transaction on the main database.

        Returns rows changed per table (counts only: what the log may say). Asks for a WAL scrub, which the
        lease holder runs once this transaction has committed.
        """
        if not self.secret:
            raise ValueError("no pseudonym key: erasure keeps votes under the person's key")
        person = Person(psid, time.time() if now is None else now, self.secret, inbox_id)
        counts = {}
        for declaration in self.tables.values():
            if declaration.erase is not None:
                counts[declaration.table] = declaration.erase(conn, person)
        request_scrub(conn, person.now)
        return counts

    # -- retention ----------------------------------------------------------------------------------------
    def cutoff(self, declaration: Declaration, now: float, days: float | None = None) -> float:
        days = self.retention_days if days is None else days
        if declaration.max_age_days is not None:
            days = min(days, declaration.max_age_days)
        return now - days * DAY

    def purge(self, stores: Mapping[str, Store], *, dry_run: bool = False, days: float | None = None,
              now: float | None = None) -> dict[str, int]:
        """Remove what is older than the retention (or `days`); returns rows per table.

        For real: in transactions of at most PURGE_CHUNK rows per table, then a WAL scrub. Dry run: the same
        code in one transaction that is rolled back, so the counts are exactly what a purge would remove.
        """
        now = time.time() if now is None else now
        counts: dict[str, int] = {}
        by_database: dict[str, list[Declaration]] = {}
        for declaration in self.tables.values():
            if declaration.purge is not None:
                by_database.setdefault(declaration.database, []).append(declaration)
        for database, declarations in by_database.items():
            store = stores[database]
            if dry_run:
                with store.write() as conn:
                    conn.execute("SAVEPOINT purge_dry_run")
                    try:
                        for d in declarations:
                            counts[d.table] = d.purge(conn, self.cutoff(d, now, days), None)
                    finally:
                        conn.execute("ROLLBACK TO purge_dry_run")
                        conn.execute("RELEASE purge_dry_run")
                continue
            for d in declarations:
                total = 0
                while True:
                    with store.write() as conn:
                        removed = d.purge(conn, self.cutoff(d, now, days), PURGE_CHUNK)
                    total += removed
                    if removed < PURGE_CHUNK:
                        break
                counts[d.table] = total
        if not dry_run and any(counts.values()) and not self.scrub(stores.values()):
            # A reader held the WAL: leave it to the lease holder's checkpointer, which retries every second.
            with stores["main"].write() as conn:
                request_scrub(conn, now)
        return counts

    # -- WAL scrub ----------------------------------------------------------------------------------------
    def scrub(self, stores: Iterable[Store]) -> bool:
        """Checkpoint and truncate every store's WAL; True when all of them are empty."""
        return all([store.truncate_wal() for store in stores])

    def scrub_if_requested(self, main: Store, *others: Store) -> bool:
        """Run by the lease holder every second: scrub the WALs if an erasure asked for it since the last time."""
        requested = main.get_state(SCRUB_KEY)
        if requested is None:
            return False
        if not self.scrub((main, *others)):
            return False  # a reader held on; the next second tries again
        with main.write() as conn:
            drop_state(conn, SCRUB_KEY, requested)
        log_event(log, "privacy.wal_scrubbed")
        return True


def request_scrub(conn: sqlite3.Connection, now: float) -> None:
    """Ask the lease holder to scrub the WALs once the caller's transaction has committed."""
    put_state(conn, SCRUB_KEY, repr(now), now)


def _delete_where(table: str, column: str, value: Callable[[Person], str]) -> Eraser:
    def erase(conn: sqlite3.Connection, person: Person) -> int:
        return conn.execute(f"DELETE FROM [{table}] WHERE [{column}] = ?", (value(person),)).rowcount
    return erase


def _delete_older(table: str, column: str) -> Purger:
    def purge(conn: sqlite3.Connection, cutoff: float, limit: int | None) -> int:
        return conn.execute(f"DELETE FROM [{table}] WHERE rowid IN (SELECT rowid FROM [{table}] WHERE [{column}] < ? "
                            "LIMIT ?)", (cutoff, -1 if limit is None else limit)).rowcount
    return purge
