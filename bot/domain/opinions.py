"""Opinion rounds (Pol.is in a chat): rounds, their statements and the votes on them.

A round is about one question (one of the event's topics, seeded from content/opinions.toml, or any question a
moderator writes), draft -> open -> closed. Its statements are short (10 to 140 characters, Thai and English):
seeds and a moderator's are live at once; a participant's waits in the moderation queue (`pending`) until a
moderator approves it (`approved`, the author is told) or rejects it. A vote is agree (+1), disagree (-1) or pass
(0), one per person per statement (a UNIQUE constraint: redelivered taps never count twice); answering again
changes it.

The voter is never stored: a vote is keyed by the voter's pseudonym for the round (`voter_scope`, see
bot/privacy.py), the same key across the round's statements (the analysis needs to know which votes are one
person's) and different in every round. Erasure puts a fresh random key in its place, so the person's votes still
shape the map but nothing leads back to them, and their statements leave the queue; approved statements never
keep their author (the PSID is kept only until the author has been told of the decision).

Statements with fewer votes come first (`next_statement`, as Pol.is orders them), counted in `seen` on the
statement so that choosing the next one is one indexed query, not a count of every vote.
"""
from __future__ import annotations

import json
import secrets
import sqlite3
import time
from dataclasses import dataclass

from ..csv_export import csv_document
from ..messenger import people
from ..messenger.outbox import enqueue
from ..messenger.replies import Outgoing, QuickReply, Text
from ..privacy import Person
from ..public_screens import changed
from . import subscriptions
from .payloads import OPINION_ROUND

SCREEN = "opinions"  # the public screen of a round's consensus (bot/screens/opinion_consensus.py)
STATES = ("draft", "open", "closed")
MIN_CHARS, MAX_CHARS = 10, 140
VOTES = {1: "agree", -1: "disagree", 0: "pass"}
# Cosine similarity from which a written statement is flagged as a near-duplicate of another: Thai paraphrases
# of a seed statement scored 0.68-0.76 with the project's encoder, related but different statements 0.27-0.53.
NEAR = 0.65


def schema(db) -> None:
    db.execute("""
        CREATE TABLE IF NOT EXISTS opinion_rounds (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            topic TEXT,                     -- the event's topic (1-4) it is about, or NULL
            title_th TEXT NOT NULL,
            title_en TEXT NOT NULL,
            state TEXT NOT NULL DEFAULT 'draft',
            created_at REAL NOT NULL,
            opened_at REAL,
            closed_at REAL
        )""")
    db.execute("""
        CREATE TABLE IF NOT EXISTS opinion_statements (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            round_id INTEGER NOT NULL REFERENCES opinion_rounds(id),
            text_th TEXT NOT NULL,
            text_en TEXT NOT NULL,
            origin TEXT NOT NULL,           -- seed | moderator | participant
            status TEXT NOT NULL,           -- pending | approved | rejected
            author_psid TEXT,               -- a participant's, until they are told of the decision
            flags TEXT NOT NULL DEFAULT '{}',  -- JSON: {"rude": [...], "near": [statement ids]} for moderators
            seen INTEGER NOT NULL DEFAULT 0,   -- people who voted on it (passes too)
            created_at REAL NOT NULL,
            decided_at REAL
        )""")
    db.execute("CREATE INDEX IF NOT EXISTS opinion_statements_next ON opinion_statements(round_id, status, seen)")
    db.execute("CREATE INDEX IF NOT EXISTS opinion_statements_by_author ON opinion_statements(author_psid) "
               "WHERE author_psid IS NOT NULL")
    db.execute("""
        CREATE TABLE IF NOT EXISTS opinion_votes (
            id INTEGER PRIMARY KEY,
            round_id INTEGER NOT NULL,
            statement_id INTEGER NOT NULL REFERENCES opinion_statements(id),
            voter TEXT NOT NULL,            -- the voter's pseudonym in voter_scope(round_id), never the PSID
            vote INTEGER NOT NULL CHECK (vote IN (-1, 0, 1)),
            created_at REAL NOT NULL,
            updated_at REAL NOT NULL,
            UNIQUE (statement_id, voter)
        )""")
    db.execute("CREATE INDEX IF NOT EXISTS opinion_votes_by_voter ON opinion_votes(round_id, voter)")
    db.execute("CREATE INDEX IF NOT EXISTS opinion_votes_by_time ON opinion_votes(round_id, updated_at)")


def declare(privacy) -> None:
    privacy.not_personal("opinion_rounds", why="the questions moderators open for opinions")
    privacy.personal("opinion_statements", erase=erase_authorship, purge=forget_authors)
    privacy.personal("opinion_votes", erase=erase_voter, purge=anonymise_closed,
                     why="kept under one-way keys of the round; erasure and the retention replace them")


@dataclass(frozen=True)
class Round:
    id: int
    topic: str | None
    title: dict[str, str]
    state: str
    opened_at: float | None
    closed_at: float | None

    @classmethod
    def from_row(cls, row: sqlite3.Row) -> "Round":
        return cls(row["id"], row["topic"], {"th": row["title_th"], "en": row["title_en"]}, row["state"],
                   row["opened_at"], row["closed_at"])


@dataclass(frozen=True)
class Statement:
    id: int
    round_id: int
    text: dict[str, str]
    origin: str
    status: str
    author_psid: str | None
    flags: dict
    seen: int

    @classmethod
    def from_row(cls, row: sqlite3.Row) -> "Statement":
        return cls(row["id"], row["round_id"], {"th": row["text_th"], "en": row["text_en"]}, row["origin"],
                   row["status"], row["author_psid"], json.loads(row["flags"]), row["seen"])


def voter_scope(round_id: int) -> str:
    """The pseudonym scope of a round's voters: `ctx.pseudonym(voter_scope(round.id))` is the `voter` of `vote`."""
    return f"opinion:{round_id}"


def check_text(text: str) -> str | None:
    """A statement as it will be shown (spaces tidied), or None when it is not 10 to 140 characters."""
    text = " ".join(text.split())
    return text if MIN_CHARS <= len(text) <= MAX_CHARS else None


# -- rounds -------------------------------------------------------------------------------------------------------
def create_round(conn: sqlite3.Connection, title: dict[str, str], statements: list[dict[str, str]] = (), *,
                 topic: str | None = None) -> int:
    """A draft round with its seed statements (live at once). Raises ValueError for a title or statement out of
    bounds."""
    if not title.get("th") or not title.get("en"):
        raise ValueError("a round needs a title in Thai and English")
    round_id = conn.execute("INSERT INTO opinion_rounds (topic, title_th, title_en, created_at) VALUES (?, ?, ?, ?)",
                            (topic, title["th"], title["en"], time.time())).lastrowid
    for text in statements:
        add_statement(conn, round_id, text, origin="seed")
    return round_id


def get_round(conn: sqlite3.Connection, round_id: int) -> Round | None:
    row = conn.execute("SELECT * FROM opinion_rounds WHERE id = ?", (round_id,)).fetchone()
    return Round.from_row(row) if row else None


def rounds(conn: sqlite3.Connection) -> list[Round]:
    """Every round, newest first."""
    return [Round.from_row(r) for r in conn.execute("SELECT * FROM opinion_rounds ORDER BY id DESC")]


def open_rounds(conn: sqlite3.Connection) -> list[Round]:
    return [Round.from_row(r) for r in conn.execute("SELECT * FROM opinion_rounds WHERE state = 'open' ORDER BY id")]


def opened_between(conn: sqlite3.Connection, start: float, end: float) -> list[Round]:
    """Rounds opened from `start` (included) to `end` (excluded), in that order (the agencies' report)."""
    return [Round.from_row(r) for r in conn.execute(
        "SELECT * FROM opinion_rounds WHERE opened_at >= ? AND opened_at < ? ORDER BY opened_at, id", (start, end))]


def set_state(conn: sqlite3.Connection, round_id: int, state: str) -> bool:
    """draft -> open -> closed; False when the round is not in the state before."""
    before = {"open": "draft", "closed": "open"}[state]
    stamp = "opened_at" if state == "open" else "closed_at"
    done = conn.execute(f"UPDATE opinion_rounds SET state = ?, {stamp} = ? WHERE id = ? AND state = ?",
                        (state, time.time(), round_id, before)).rowcount == 1
    if done:
        changed(conn, SCREEN, round_id)
    return done


def open_round(conn: sqlite3.Connection, texts, round_id: int) -> int:
    """Open a draft round and tell the people who asked to be told of polls or of everything
    (subscriptions.told_of_polls): one message each, in their language, with the round's title and a quick reply
    that starts it; returns how many it was queued for. The CLI, the console and "/round open" all open here.
    UPDATE and no tag, one per person and round (the dedup key): outside the 24-hour window the outbox records it
    as not sendable, as Facebook requires. Raises ValueError when the round is not a draft."""
    if not set_state(conn, round_id, "open"):
        raise ValueError(f"round {round_id} is not a draft")
    title = get_round(conn, round_id).title
    queued = 0
    for row in subscriptions.told_of_polls(conn, None):
        lang = row["language"]
        notice = Text(texts.get("opinion_round_opened", lang, title=title[lang]), quick_replies=[
            QuickReply(texts.get("opinion_start_button", lang), OPINION_ROUND.build(round=round_id))])
        queued += enqueue(conn, row["psid"], [Outgoing(notice, intent="UPDATE",
                                                       dedup_key=f"opinion-open:{round_id}:{row['psid']}")],
                          batch=f"opinion-open:{round_id}")
    return queued


# -- statements ---------------------------------------------------------------------------------------------------
def add_statement(conn: sqlite3.Connection, round_id: int, text: dict[str, str], *, origin: str,
                  author_psid: str | None = None, flags: dict | None = None) -> int:
    """A statement: a participant's waits for moderation, a seed or a moderator's is live at once. Raises
    ValueError for a text that is not 10 to 140 characters in either language."""
    th, en = check_text(text.get("th", "")), check_text(text.get("en") or text.get("th", ""))
    if th is None or en is None:
        raise ValueError(f"a statement is {MIN_CHARS} to {MAX_CHARS} characters: {text.get('th', '')[:60]!r}")
    status = "pending" if origin == "participant" else "approved"
    return conn.execute(
        "INSERT INTO opinion_statements (round_id, text_th, text_en, origin, status, author_psid, flags, created_at) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (round_id, th, en, origin, status, author_psid, json.dumps(flags or {}, ensure_ascii=False), time.time())
    ).lastrowid


def statement(conn: sqlite3.Connection, statement_id: int) -> Statement | None:
    row = conn.execute("SELECT * FROM opinion_statements WHERE id = ?", (statement_id,)).fetchone()
    return Statement.from_row(row) if row else None


def statements(conn: sqlite3.Connection, round_id: int, status: str | None = None) -> list[Statement]:
    """A round's statements (of one status), in the order they were added."""
    return [Statement.from_row(r) for r in conn.execute(
        "SELECT * FROM opinion_statements WHERE round_id = ? AND (? IS NULL OR status = ?) ORDER BY id",
        (round_id, status, status))]


def pending(conn: sqlite3.Connection) -> list[Statement]:
    """The moderation queue, oldest first, every round."""
    return [Statement.from_row(r) for r in conn.execute(
        "SELECT * FROM opinion_statements WHERE status = 'pending' ORDER BY id")]


def decide(conn: sqlite3.Connection, texts, statement_id: int, approve: bool,
           text: dict[str, str] | None = None) -> Statement:
    """Approve (optionally with the moderator's wording, e.g. the English) or reject a pending statement; the
    author is told of an approval (inside their window; a message outside it is recorded as not sendable, as
    Facebook requires), and their PSID is dropped either way. Raises ValueError when it is not pending."""
    found = statement(conn, statement_id)
    if found is None or found.status != "pending":
        raise ValueError(f"statement {statement_id} is not waiting for moderation")
    th, en = found.text["th"], found.text["en"]
    if text:
        th, en = check_text(text.get("th") or th), check_text(text.get("en") or en)
        if th is None or en is None:
            raise ValueError(f"a statement is {MIN_CHARS} to {MAX_CHARS} characters")
    conn.execute("UPDATE opinion_statements SET status = ?, text_th = ?, text_en = ?, author_psid = NULL, "
                 "decided_at = ? WHERE id = ?", ("approved" if approve else "rejected", th, en, time.time(), statement_id))
    if approve and found.author_psid:
        lang = people.language(conn, found.author_psid)
        enqueue(conn, found.author_psid, [Outgoing(Text(texts.get("opinion_statement_live", lang, statement=th if lang == "th" else en)),
                                                   intent="UPDATE", dedup_key=f"opinion-live:{statement_id}")])
    changed(conn, SCREEN, found.round_id)
    return statement(conn, statement_id)


def near_duplicates(conn: sqlite3.Connection, round_id: int, text: str, encode, limit: int = 3) -> list[int]:
    """The round's statements (live or waiting) that say nearly the same as `text`, closest first: cosine
    similarity of sentence vectors (`encode(texts) -> L2-normalised rows`, bot/understanding/embedding.py) of at
    least NEAR, in either language. For moderators to merge or reject, never decided here."""
    import numpy as np

    others = [s for s in statements(conn, round_id) if s.status != "rejected"]
    if not others:
        return []
    vectors = encode([text] + [s.text[lang] for s in others for lang in ("th", "en")])
    scores = (vectors[1:] @ vectors[0]).reshape(len(others), 2).max(axis=1)
    order = np.argsort(-scores, kind="stable")
    return [others[i].id for i in order[:limit] if scores[i] >= NEAR]


# -- votes --------------------------------------------------------------------------------------------------------
def next_statement(conn: sqlite3.Connection, round_id: int, voter: str) -> Statement | None:
    """The live statement `voter` has not answered with the fewest votes so far (then the oldest), or None."""
    row = conn.execute(
        "SELECT * FROM opinion_statements s WHERE s.round_id = ? AND s.status = 'approved' AND NOT EXISTS "
        "(SELECT 1 FROM opinion_votes v WHERE v.statement_id = s.id AND v.voter = ?) ORDER BY s.seen, s.id LIMIT 1",
        (round_id, voter)).fetchone()
    return Statement.from_row(row) if row else None


def vote(conn: sqlite3.Connection, found: Statement, voter: str, value: int) -> str:
    """Record `voter`'s answer (+1, -1, 0) to a statement; 'counted', 'changed' or 'unchanged'."""
    if value not in VOTES:
        raise ValueError(f"a vote is +1, -1 or 0, not {value!r}")
    now = time.time()
    before = conn.execute("SELECT vote FROM opinion_votes WHERE statement_id = ? AND voter = ?",
                          (found.id, voter)).fetchone()
    conn.execute("INSERT INTO opinion_votes (round_id, statement_id, voter, vote, created_at, updated_at) "
                 "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT(statement_id, voter) DO UPDATE SET vote = excluded.vote, "
                 "updated_at = excluded.updated_at", (found.round_id, found.id, voter, value, now, now))
    if before is None:
        conn.execute("UPDATE opinion_statements SET seen = seen + 1 WHERE id = ?", (found.id,))
        return "counted"
    return "changed" if before[0] != value else "unchanged"


def progress(conn: sqlite3.Connection, round_id: int, voter: str) -> tuple[int, int]:
    """(live statements `voter` answered, live statements in the round)."""
    return conn.execute(
        "SELECT count(v.id), count(*) FROM opinion_statements s LEFT JOIN opinion_votes v ON v.statement_id = s.id "
        "AND v.voter = ? WHERE s.round_id = ? AND s.status = 'approved'", (voter, round_id)).fetchone()


def progress_of_round(conn: sqlite3.Connection, round_id: int) -> tuple[int, int]:
    """(people who voted, votes) in a round."""
    return tuple(conn.execute("SELECT count(DISTINCT voter), count(*) FROM opinion_votes WHERE round_id = ?",
                              (round_id,)).fetchone())


def round_votes(conn: sqlite3.Connection, round_id: int) -> list[tuple[str, int, int]]:
    """(voter, statement id, vote) of a round, in the order they were last cast (the analysis's input)."""
    return [tuple(r) for r in conn.execute(
        "SELECT voter, statement_id, vote FROM opinion_votes WHERE round_id = ? ORDER BY updated_at, id", (round_id,))]


def votes_csv(conn: sqlite3.Connection, round_id: int) -> str:
    """Every vote of the round as CSV (voter, statement, vote): voters by their one-way key of this round only."""
    return csv_document(["voter", "statement", "vote"], round_votes(conn, round_id))


def last_vote_at(conn: sqlite3.Connection, round_id: int) -> float | None:
    return conn.execute("SELECT max(updated_at) FROM opinion_votes WHERE round_id = ?", (round_id,)).fetchone()[0]


def rounds_voted_in(conn: sqlite3.Connection, keys: dict[int, str]) -> list[int]:
    """Of {round id: the person's key in it}, the rounds where the person voted."""
    return [rid for rid, key in keys.items() if conn.execute(
        "SELECT 1 FROM opinion_votes WHERE round_id = ? AND voter = ? LIMIT 1", (rid, key)).fetchone()]


# -- personal data ------------------------------------------------------------------------------------------------
def erase_voter(conn: sqlite3.Connection, person: Person) -> int:
    """The person's votes stay in the map under a fresh random key that nothing links to them."""
    changed_rows = 0
    for (round_id,) in conn.execute("SELECT id FROM opinion_rounds").fetchall():
        changed_rows += conn.execute("UPDATE opinion_votes SET voter = ? WHERE round_id = ? AND voter = ?",
                                     (_anonymous(), round_id, person.key(voter_scope(round_id)))).rowcount
    return changed_rows


def erase_authorship(conn: sqlite3.Connection, person: Person) -> int:
    """Their statements still waiting leave the queue (with the votes on them); decided ones have no author."""
    ids = [r[0] for r in conn.execute("SELECT id FROM opinion_statements WHERE author_psid = ?", (person.psid,))]
    for statement_id in ids:
        conn.execute("DELETE FROM opinion_votes WHERE statement_id = ?", (statement_id,))
        conn.execute("DELETE FROM opinion_statements WHERE id = ?", (statement_id,))
    return len(ids)


def forget_authors(conn: sqlite3.Connection, cutoff: float, limit: int | None) -> int:
    """Retention: a statement left undecided past the retention loses its author (the text stays for moderators)."""
    return conn.execute("UPDATE opinion_statements SET author_psid = NULL WHERE id IN (SELECT id FROM "
                        "opinion_statements WHERE author_psid IS NOT NULL AND created_at < ? LIMIT ?)",
                        (cutoff, -1 if limit is None else limit)).rowcount


def anonymise_closed(conn: sqlite3.Connection, cutoff: float, limit: int | None) -> int:
    """Retention: a round closed before `cutoff` takes no more votes, so its voters' keys become random ones
    (still one per person, so the map is the same)."""
    voters = conn.execute(
        "SELECT DISTINCT v.round_id, v.voter FROM opinion_votes v JOIN opinion_rounds r ON r.id = v.round_id WHERE "
        "r.state = 'closed' AND r.closed_at < ? AND v.voter LIKE 'p1:%' LIMIT ?", (cutoff, -1 if limit is None else limit)
    ).fetchall()
    for round_id, voter in voters:
        conn.execute("UPDATE opinion_votes SET voter = ? WHERE round_id = ? AND voter = ?", (_anonymous(), round_id, voter))
    return len(voters)


def _anonymous() -> str:
    return f"x1:{secrets.token_hex(16)}"


def vote_times(conn: sqlite3.Connection, since: float) -> list[float]:
    """When each opinion vote was first given, since `since` (Unix times): the dashboard's per-minute chart."""
    return [r[0] for r in conn.execute("SELECT created_at FROM opinion_votes WHERE created_at >= ? ORDER BY created_at",
                                       (since,))]
