"""The people who wrote to the Page: the one owner of the `users` table.

A row per PSID: when the person was first and last seen, when they last opened Messenger's 24-hour window (a
message, a tap, a click on an m.me link), their language and where it came from (Facebook's locale, or their own
choice, which wins), the language of the words they last typed (a tap that follows is answered in it), the name and locale Facebook gave (asked once, `fetch_profiles`), and why the Send API
refused them for good, if it did (they blocked the Page, deleted their account): nobody sends to them again.

Other tables' queries that need a person's language, window or reachability take it from here as an SQL
expression about their own PSID column (`language_sql("s.psid")`), so this file stays the only one that knows
the table's columns.
"""
from __future__ import annotations

import logging
import sqlite3
import time
from concurrent.futures import ThreadPoolExecutor, wait
from dataclasses import dataclass
from typing import NamedTuple

from ..logs import event as log_event
from ..store import ensure_table
from .graph import GraphClient, GraphError

log = logging.getLogger(__name__)

PROFILE_TIMEOUT = 2.0
PROFILE_RETRY_AFTER = 3600.0  # a profile Facebook would not give is asked for again after an hour


class Who(NamedTuple):
    """A set of people as SQL: a subquery of PSIDs and its named parameters ("" for everyone). Owners of other
    tables give theirs (`registrations.registered()`); this module counts and walks them (`audience`, `reach`)."""

    sql: str
    params: dict

    def among(self, alias: str) -> str:
        """The condition that `alias`.psid is one of them."""
        return f"{alias}.psid IN ({self.sql})" if self.sql else "1"


def schema(db) -> None:
    ensure_table(
        db, "users",
        {
            "psid": str,
            "first_seen": float,
            "last_seen": float,
            "last_interaction_at": float,  # the user wrote, tapped or clicked an m.me link: opens the 24 h window
            "language": str,  # th | en
            "language_source": str,  # profile | user
            "first_name": str,
            "last_name": str,
            "locale": str,
            "profile_status": str,  # None (not asked) | ok | failed
            "profile_checked_at": float,
            "unreachable": str,  # why the Send API refused this person for good (user_unavailable, no_matching_user)
            "unreachable_at": float,
        },
        pk="psid",
        not_null={"first_seen", "last_seen"},
    )


@dataclass(frozen=True)
class User:
    psid: str
    language: str = "th"
    language_source: str | None = None  # profile (Facebook's locale) | user (the person chose it)
    first_name: str | None = None
    last_name: str | None = None
    locale: str | None = None
    first_seen: float = 0.0
    last_interaction_at: float | None = None
    written_language: str | None = None  # the language of the words they last typed (th | en), None: none yet

    @classmethod
    def from_row(cls, row: sqlite3.Row | None, psid: str) -> "User":
        if row is None:
            return cls(psid=psid)
        return cls(psid=row["psid"], language=row["language"] or "th", language_source=row["language_source"],
                   first_name=row["first_name"], last_name=row["last_name"], locale=row["locale"],
                   first_seen=row["first_seen"], last_interaction_at=row["last_interaction_at"],
                   written_language=row["written_language"])

    @property
    def name(self) -> str:
        return " ".join(p for p in (self.first_name, self.last_name) if p)


# -- the inbox's side: someone wrote ------------------------------------------------------------------------------
def seen(conn: sqlite3.Connection, psid: str, now: float, interaction: float | None) -> User:
    """Record that `psid` sent an event (`interaction`: when, if it opens the window) and return them. A person
    the Send API had refused for good becomes reachable again when they write."""
    conn.execute(
        "INSERT INTO users (psid, first_seen, last_seen, last_interaction_at, language) "
        "VALUES (?, ?, ?, ?, 'th') ON CONFLICT(psid) DO UPDATE SET last_seen = max(last_seen, excluded.last_seen), "
        "last_interaction_at = CASE WHEN excluded.last_interaction_at IS NULL THEN last_interaction_at "
        "ELSE max(coalesce(last_interaction_at, 0), excluded.last_interaction_at) END, "
        "unreachable = CASE WHEN excluded.last_interaction_at IS NULL THEN unreachable END",
        (psid, now, now, interaction),
    )
    return User.from_row(get(conn, psid), psid)


def get(conn: sqlite3.Connection, psid: str) -> sqlite3.Row | None:
    return conn.execute("SELECT * FROM users WHERE psid = ?", (psid,)).fetchone()


def set_language(conn: sqlite3.Connection, psid: str, lang: str) -> None:
    """The person chose a language: it wins over Facebook's locale from now on."""
    conn.execute("UPDATE users SET language = ?, language_source = 'user' WHERE psid = ?", (lang, psid))


def wrote_in(conn: sqlite3.Connection, psid: str, lang: str) -> None:
    """The person's words were in `lang`: a tap or a message without words that follows is answered in it."""
    conn.execute("UPDATE users SET written_language = ? WHERE psid = ? AND written_language IS NOT ?",
                 (lang, psid, lang))


def written_language_column(db) -> None:
    """Migration: the language of the words a person last typed (`wrote_in`)."""
    if "written_language" not in db["users"].columns_dict:
        db["users"].add_column("written_language", str)


def announcements_column(db) -> None:
    """Migration: when a person said "stop" to announcements (`stop_announcements`), NULL while they get them."""
    if "announcements_off_at" not in db["users"].columns_dict:
        db["users"].add_column("announcements_off_at", float)


def stop_announcements(conn: sqlite3.Connection, psid: str, now: float) -> None:
    """The person said "stop": no broadcast reaches them (their replies still do) until they say "start"."""
    conn.execute("UPDATE users SET announcements_off_at = ? WHERE psid = ?", (now, psid))


def resume_announcements(conn: sqlite3.Connection, psid: str) -> bool:
    """The person said "start": broadcasts reach them again. False when they had not stopped them."""
    return conn.execute("UPDATE users SET announcements_off_at = NULL WHERE psid = ? AND announcements_off_at IS NOT "
                        "NULL", (psid,)).rowcount > 0


def reads_sql(alias: str = "users") -> str:
    """The language a person reads, as an SQL expression about the `users` row `alias`: the one they chose; else
    the language of the words they last typed (someone whose Facebook locale is Thai but who writes English gets
    announcements, reminders and notices in English, as the replies to their words); else their locale's."""
    return (f"coalesce(CASE WHEN {alias}.language_source = 'user' THEN {alias}.language "
            f"ELSE coalesce({alias}.written_language, {alias}.language) END, 'th')")


def language(conn: sqlite3.Connection, psid: str) -> str:
    """The language `psid` reads (`reads_sql`): 'th' or 'en', 'th' for someone unknown."""
    row = conn.execute(f"SELECT {reads_sql()} AS language FROM users WHERE psid = ?", (psid,)).fetchone()
    return row["language"] if row else "th"


def unreachable(conn: sqlite3.Connection, refused: list[tuple[str, float, str]]) -> None:
    """(why, when, psid) for each person the Send API refused for good."""
    conn.executemany("UPDATE users SET unreachable = ?, unreachable_at = ? WHERE psid = ?", refused)


def in_window(conn: sqlite3.Connection, since: float) -> int:
    """People whose last message, tap or link click is after `since` (inside their window when since = now - 24 h)."""
    return conn.execute("SELECT count(*) FROM users WHERE last_interaction_at > ?", (since,)).fetchone()[0]


# -- expressions for other tables' queries --------------------------------------------------------------------
def language_sql(psid_column: str) -> str:
    """The language the person reads (`reads_sql`; 'th' when unknown), as an SQL expression about `psid_column` of
    another table."""
    return f"coalesce((SELECT {reads_sql()} FROM users WHERE psid = {psid_column}), 'th')"


def last_interaction_sql(psid_column: str) -> str:
    """When the person last opened their window (NULL: never), as an SQL expression about `psid_column`."""
    return f"(SELECT last_interaction_at FROM users WHERE psid = {psid_column})"


def before_sql(psid_param: str) -> str:
    """The PSID just before `psid_param` among everyone, as an SQL expression (a broadcast's cursor after an
    erasure resumes there)."""
    return f"(SELECT max(psid) FROM users WHERE psid < {psid_param})"


# -- audiences ----------------------------------------------------------------------------------------------------
def audience(conn: sqlite3.Connection, who: Who, registered: Who, after: str, limit: int) -> list[sqlite3.Row]:
    """The next `limit` reachable people of `who` after the PSID `after`, in PSID order, each with `language`,
    `last_interaction_at` and `registered` (whether they are in `registered`)."""
    return conn.execute(
        f"SELECT u.psid, {reads_sql('u')} AS language, u.last_interaction_at, "
        f"{registered.among('u')} AS registered FROM users u WHERE u.unreachable IS NULL "
        f"AND u.announcements_off_at IS NULL AND {who.among('u')} AND u.psid > :after ORDER BY u.psid LIMIT :limit",
        {**who.params, **registered.params, "after": after, "limit": limit}).fetchall()


@dataclass(frozen=True)
class Reach:
    total: int  # reachable people of the set
    in_window: int  # inside their window since `since`
    registered_outside: int  # registered, outside it
    registered_outside_in: int  # ... whose language is one of `languages`
    unreachable: int  # in the set, refused by Facebook for good


def reach(conn: sqlite3.Connection, who: Who, registered: Who, since: float, languages: list[str]) -> Reach:
    """How `who` can be reached now: counts by window, registration and language (a broadcast's estimate)."""
    marks = ",".join(f":lang{i}" for i in range(len(languages))) or "NULL"
    params = {**who.params, **registered.params, "since": since, **{f"lang{i}": lang for i, lang in enumerate(languages)}}
    row = conn.execute(
        f"SELECT count(*), coalesce(sum(last_interaction_at > :since), 0), "
        f"coalesce(sum(coalesce(last_interaction_at, 0) <= :since AND registered), 0), "
        f"coalesce(sum(coalesce(last_interaction_at, 0) <= :since AND registered AND language IN ({marks})), 0) "
        f"FROM (SELECT {reads_sql('u')} AS language, u.last_interaction_at, "
        f"{registered.among('u')} AS registered FROM users u WHERE u.unreachable IS NULL "
        f"AND u.announcements_off_at IS NULL AND {who.among('u')})",
        params).fetchone()
    refused = conn.execute(f"SELECT count(*) FROM users u WHERE u.unreachable IS NOT NULL AND {who.among('u')}",
                           who.params).fetchone()[0]
    return Reach(row[0], row[1], row[2], row[3], refused)


EVERYONE = Who("", {})


def with_language(lang: str) -> Who:
    """The people reading `lang`."""
    return Who(f"SELECT psid FROM users WHERE {reads_sql()} = :language", {"language": lang})


# -- profiles -----------------------------------------------------------------------------------------------------
def fetch_profiles(store, client: GraphClient, psids: set[str], pool: ThreadPoolExecutor | None = None) -> None:
    """Ask Facebook once for each new person's name and locale, in parallel, before the event's transaction.

    A profile Facebook will not give is marked failed and asked for again after PROFILE_RETRY_AFTER."""
    if not psids:
        return
    marks = ",".join("?" * len(psids))
    known = {r["psid"]: r for r in store.conn.execute(
        f"SELECT psid, profile_status, profile_checked_at FROM users WHERE psid IN ({marks})", list(psids))}
    now = time.time()
    wanted = [p for p in psids if p not in known or known[p]["profile_status"] is None
              or (known[p]["profile_status"] == "failed"
                  and now - (known[p]["profile_checked_at"] or 0) > PROFILE_RETRY_AFTER)]
    if not wanted:
        return
    own = pool is None
    pool = pool or ThreadPoolExecutor(max_workers=4)
    futures = {pool.submit(_profile, client, p): p for p in wanted}
    done, _ = wait(futures, timeout=PROFILE_TIMEOUT + 1)
    results = [(psid, future.result() if future in done else None) for future, psid in futures.items()]
    with store.write() as conn:
        for psid, profile in results:
            conn.execute("INSERT INTO users (psid, first_seen, last_seen, language) VALUES (?, ?, ?, 'th') "
                         "ON CONFLICT(psid) DO NOTHING", (psid, now, now))
            if profile is None:
                conn.execute("UPDATE users SET profile_status = 'failed', profile_checked_at = ? WHERE psid = ?",
                             (now, psid))
                continue
            locale = profile.get("locale") if isinstance(profile.get("locale"), str) else None
            lang = ("th" if locale.lower().startswith("th") else "en") if locale else None
            conn.execute(
                "UPDATE users SET profile_status = 'ok', profile_checked_at = ?, first_name = ?, last_name = ?, "
                "locale = ?, language = CASE WHEN language_source = 'user' OR ? IS NULL THEN language ELSE ? END, "
                "language_source = coalesce(language_source, CASE WHEN ? IS NULL THEN NULL ELSE 'profile' END) "
                "WHERE psid = ?",
                (now, _name(profile.get("first_name")), _name(profile.get("last_name")), locale, lang, lang, lang,
                 psid))
    if own:
        pool.shutdown(wait=False)


def _profile(client: GraphClient, psid: str) -> dict | None:
    try:
        return client.user_profile(psid, timeout=PROFILE_TIMEOUT)
    except GraphError as exc:
        log_event(log, "profile.unavailable", logging.INFO, error=str(exc))
        return None


def _name(value: object) -> str | None:
    return value.strip()[:100] if isinstance(value, str) and value.strip() else None


# -- personal data (bot/privacy.py) ---------------------------------------------------------------------------------
def erase(conn: sqlite3.Connection, person) -> int:
    """The whole row: the PSID, when they were first and last seen, their window, their language, the name and
    locale Facebook gave. They leave every audience (broadcasts are walked over this table; reminders and poll
    openings over subscriptions, erased too), and someone who writes again is a new person to the bot. Nothing
    of it is needed afterwards: the erasure's confirmation is rendered before the transaction ends, and its
    window is the message that asked for it (outbox.first_in_line); votes stay counted under a pseudonym kept
    elsewhere, not under this row."""
    return conn.execute("DELETE FROM users WHERE psid = ?", (person.psid,)).rowcount


def purge(conn: sqlite3.Connection, cutoff: float, limit: int | None) -> int:
    return conn.execute("DELETE FROM users WHERE rowid IN (SELECT rowid FROM users WHERE last_seen < ? LIMIT ?)",
                        (cutoff, -1 if limit is None else limit)).rowcount


def show(conn: sqlite3.Connection, person, words) -> list[str]:
    """The name and locale Facebook gave, the language the bot writes in and whether the person chose it."""
    row = get(conn, person.psid)
    if row is None:
        return []
    user = User.from_row(row, person.psid)
    lang = language(conn, person.psid)
    return [words.t("data_profile", name=user.name or "-", locale=user.locale or "-",
                    language=words.t(f"data_language_{lang}"),
                    chosen=words.t("data_language_chosen") if user.language_source == "user" else "")]


def declare(privacy) -> None:
    privacy.personal("users", erase=erase, purge=purge, show=show)
