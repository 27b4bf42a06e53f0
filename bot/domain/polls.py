"""Polls and votes: the data, and the rules the database enforces.

One vote per person per poll per channel (Messenger, live comments) is a UNIQUE constraint: a vote is an
`INSERT ... ON CONFLICT`, so concurrent or redelivered votes can never be counted twice, and a tally is a
`count(*)`, exact by construction. A poll lets voters change their vote or not (`allow_change`).

The voter is never stored: a vote is keyed by the voter's pseudonym for that poll (`voter_scope`, see
bot/privacy.py), a one-way key. So a person who asks to be forgotten keeps their vote counted once, and voting
again after the erasure finds the same key and is still one vote; the votes of different polls cannot be joined
into one person's record without the server's secret.

Every change of what the results screen shows (a vote, a withdrawn comment, opening, closing) is announced with
`public_screens.changed` in the same transaction, so the public results pages update within a second.
"""
from __future__ import annotations

import json
import sqlite3
import time
from dataclasses import dataclass

from ..messenger.outbox import enqueue
from ..messenger.replies import Outgoing, QuickReply, Text
from ..privacy import Person, pseudonym
from ..public_screens import changed
from . import subscriptions
from .payloads import VOTE

RESULTS_SCREEN = "poll"  # the public screen of a poll's results (bot/screens/poll_results.py)
MIN_OPTIONS, MAX_OPTIONS = 2, 10
CLOSE_AFTER_MAX = 7 * 24 * 60.0  # minutes: a poll closes by itself at most a week after it opens
STATES = ("draft", "open", "closed")


def schema(db) -> None:
    db.execute("""
        CREATE TABLE IF NOT EXISTS polls (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            question_th TEXT NOT NULL,
            question_en TEXT NOT NULL,
            options TEXT NOT NULL,          -- JSON list of {"th": ..., "en": ...}
            state TEXT NOT NULL DEFAULT 'draft',
            session_id TEXT,
            video_id TEXT,
            allow_change INTEGER NOT NULL DEFAULT 1,
            close_after_minutes REAL,
            created_at REAL NOT NULL,
            opened_at REAL,
            closed_at REAL
        )""")
    db.execute("""
        CREATE TABLE IF NOT EXISTS votes (
            id INTEGER PRIMARY KEY,
            poll_id INTEGER NOT NULL REFERENCES polls(id),
            channel TEXT NOT NULL,          -- messenger | comment
            voter TEXT,                     -- the voter's pseudonym in voter_scope(poll_id), never the PSID;
                                            -- NULL once a closed poll has passed the retention
            option INTEGER NOT NULL,        -- 1-based
            created_at REAL NOT NULL,
            updated_at REAL NOT NULL,
            comment_id TEXT                 -- the comment that cast it (live-comment votes)
        )""")
    db.execute("CREATE UNIQUE INDEX IF NOT EXISTS votes_one_each ON votes(poll_id, channel, voter)")
    db.execute("CREATE INDEX IF NOT EXISTS votes_by_poll ON votes(poll_id, option)")


def comment_votes(db) -> None:
    """Migration: votes from live comments keep the comment that cast them (a database from before lacks it)."""
    if "comment_id" not in db["votes"].columns_dict:
        db["votes"].add_column("comment_id", str)
    db.execute("CREATE INDEX IF NOT EXISTS votes_by_comment ON votes(comment_id) WHERE comment_id IS NOT NULL")


@dataclass(frozen=True)
class Poll:
    id: int
    question: dict[str, str]
    options: tuple[dict[str, str], ...]
    state: str
    session_id: str | None
    video_id: str | None
    allow_change: bool
    close_after_minutes: float | None
    opened_at: float | None
    closed_at: float | None

    @classmethod
    def from_row(cls, row: sqlite3.Row) -> "Poll":
        return cls(row["id"], {"th": row["question_th"], "en": row["question_en"]},
                   tuple(json.loads(row["options"])), row["state"], row["session_id"], row["video_id"],
                   bool(row["allow_change"]), row["close_after_minutes"], row["opened_at"], row["closed_at"])


def bilingual_text(text: str) -> dict[str, str]:
    """"ไทย | English" -> both; a text without "|" is used for both languages."""
    th, _, en = text.partition("|")
    th, en = th.strip(), en.strip()
    return {"th": th, "en": en or th}


def create(conn: sqlite3.Connection, question: dict[str, str], options: list[dict[str, str]], *,
           session_id: str | None = None, video_id: str | None = None, allow_change: bool = True,
           close_after_minutes: float | None = None) -> int:
    if not (MIN_OPTIONS <= len(options) <= MAX_OPTIONS):
        raise ValueError(f"a poll needs {MIN_OPTIONS} to {MAX_OPTIONS} options, got {len(options)}")
    if not question["th"] or any(not o["th"] for o in options):
        raise ValueError("the question and every option need text")
    if close_after_minutes is not None and not (0 < close_after_minutes <= CLOSE_AFTER_MAX):  # also NaN and inf
        raise ValueError(f"close after must be more than 0 and at most {CLOSE_AFTER_MAX:g} minutes (a week)")
    return conn.execute(
        "INSERT INTO polls (question_th, question_en, options, session_id, video_id, allow_change, close_after_minutes, "
        "created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (question["th"], question["en"], json.dumps(options, ensure_ascii=False), session_id, video_id,
         int(allow_change), close_after_minutes, time.time())).lastrowid


def declare(privacy) -> None:
    privacy.not_personal("polls", why="questions and options moderators wrote")
    privacy.personal("votes", erase=erase_comment_links, purge=forget_voters, show=show)


def show(conn: sqlite3.Connection, person: Person, words) -> list[str]:
    """The person's vote in each poll (in the chat and in live comments), found by their key in it: the votes keep no
    PSID."""
    items = []
    for poll in [Poll.from_row(r) for r in conn.execute(
            "SELECT * FROM polls WHERE id IN (SELECT poll_id FROM votes WHERE voter IS NOT NULL) ORDER BY id")]:
        for (option,) in conn.execute("SELECT option FROM votes WHERE poll_id = ? AND voter = ? ORDER BY id",
                                      (poll.id, person.key(voter_scope(poll.id)))):
            label = poll.options[option - 1] if 0 < option <= len(poll.options) else {}
            items.append(f"{poll.question.get(words.lang) or poll.question['th']} → "
                         f"{label.get(words.lang) or label.get('th') or option}")
    return [words.t("data_votes", votes=" / ".join(items))] if items else []


def get(conn: sqlite3.Connection, poll_id: int) -> Poll | None:
    row = conn.execute("SELECT * FROM polls WHERE id = ?", (poll_id,)).fetchone()
    return Poll.from_row(row) if row else None


def open_polls(conn: sqlite3.Connection) -> list[Poll]:
    return [Poll.from_row(r) for r in conn.execute("SELECT * FROM polls WHERE state = 'open' ORDER BY id")]


def latest(conn: sqlite3.Connection, limit: int = 50) -> list[Poll]:
    """The newest polls first (the console)."""
    return [Poll.from_row(r) for r in conn.execute("SELECT * FROM polls ORDER BY id DESC LIMIT ?", (limit,))]


def every(conn: sqlite3.Connection) -> list[Poll]:
    """Every poll, oldest first (`flask --app app poll list`)."""
    return [Poll.from_row(r) for r in conn.execute("SELECT * FROM polls ORDER BY id")]


def opened_between(conn: sqlite3.Connection, start: float, end: float) -> list[Poll]:
    return [Poll.from_row(r) for r in conn.execute(
        "SELECT * FROM polls WHERE opened_at >= ? AND opened_at < ? ORDER BY opened_at, id", (start, end))]


def first_opened_at(conn: sqlite3.Connection) -> float | None:
    return conn.execute("SELECT min(opened_at) FROM polls").fetchone()[0]


# -- opening, closing -------------------------------------------------------------------------------------------
def ballot(texts, poll: Poll, lang: str) -> Text:
    """The poll as a message: the question, the options, each a quick reply that votes."""
    options = "\n".join(f"{i}. {o[lang]}" for i, o in enumerate(poll.options, 1))
    return Text(texts.get("vote_prompt", lang, question=poll.question[lang], options=options),
                quick_replies=[QuickReply(f"{i}. {o[lang]}", VOTE.build(poll=poll.id, option=i))
                               for i, o in enumerate(poll.options, 1)])


def results_text(poll: Poll, counts: list[int], lang: str) -> str:
    total = sum(counts) or 1
    return "\n".join(f"{i}. {o[lang]}: {n} ({n * 100 / total:.0f}%)"
                     for i, (o, n) in enumerate(zip(poll.options, counts), 1))


def open_poll(conn: sqlite3.Connection, texts, poll_id: int) -> int:
    """Open a draft poll and queue it for the people who asked to be told (subscriptions.told_of_polls); returns
    how many it was queued for. Raises ValueError when the poll is not a draft."""
    if not set_state(conn, poll_id, "open"):
        raise ValueError(f"poll {poll_id} is not a draft")
    poll = get(conn, poll_id)
    queued = 0
    for row in subscriptions.told_of_polls(conn, poll.session_id):
        # UPDATE and no tag: outside the window the outbox records it as not sendable, as Facebook requires.
        queued += enqueue(conn, row["psid"], [Outgoing(ballot(texts, poll, row["language"]), intent="UPDATE",
                                                       dedup_key=f"poll:{poll_id}:{row['psid']}")],
                          batch=f"poll:{poll_id}")
    return queued


def close_due(store, now: float | None = None) -> list[int]:
    """Close every open poll whose `close_after_minutes` are up; returns their ids."""
    now = time.time() if now is None else now
    with store.write() as conn:
        ids = [row[0] for row in conn.execute(
            "UPDATE polls SET state = 'closed', closed_at = ? WHERE state = 'open' AND close_after_minutes IS NOT NULL "
            "AND opened_at + close_after_minutes * 60 <= ? RETURNING id", (now, now)).fetchall()]
        for poll_id in ids:
            changed(conn, RESULTS_SCREEN, poll_id)
    return ids


def set_state(conn: sqlite3.Connection, poll_id: int, state: str) -> bool:
    """draft -> open -> closed; returns False when the poll is not in the state before."""
    before = {"open": "draft", "closed": "open"}[state]
    stamp = "opened_at" if state == "open" else "closed_at"
    done = conn.execute(f"UPDATE polls SET state = ?, {stamp} = ? WHERE id = ? AND state = ?",
                        (state, time.time(), poll_id, before)).rowcount == 1
    if done:
        changed(conn, RESULTS_SCREEN, poll_id)
    return done


def voter_scope(poll_id: int) -> str:
    """The pseudonym scope of a poll's voters: `ctx.pseudonym(voter_scope(poll.id))` is the `voter` of `vote`."""
    return f"poll:{poll_id}"


def pseudonymise_voters(db, secret: str | None) -> None:
    """Migration: votes stored by PSID (before pseudonyms) get their voter's key; the tallies do not change."""
    rows = db.execute("SELECT id, poll_id, voter FROM votes WHERE voter IS NOT NULL AND voter NOT LIKE 'p1:%'").fetchall()
    for vote_id, poll_id, voter in rows:
        db.execute("UPDATE votes SET voter = ? WHERE id = ?", (pseudonym(secret, voter_scope(poll_id), voter), vote_id))


def vote(conn: sqlite3.Connection, poll: Poll, channel: str, voter: str, option: int, comment_id: str | None = None) -> str:
    """Record a vote by `voter`, the voter's pseudonym for this poll (`voter_scope`); returns 'counted',
    'changed', 'unchanged' (a repeat, or a change the poll does not allow)."""
    if not (1 <= option <= len(poll.options)):
        raise ValueError(f"option {option} is not in poll {poll.id}")
    now = time.time()
    before = conn.execute("SELECT option FROM votes WHERE poll_id = ? AND channel = ? AND voter = ?",
                          (poll.id, channel, voter)).fetchone()
    update = ("DO UPDATE SET option = excluded.option, updated_at = excluded.updated_at, comment_id = excluded.comment_id"
              if poll.allow_change else "DO NOTHING")
    conn.execute(f"INSERT INTO votes (poll_id, channel, voter, option, created_at, updated_at, comment_id) "
                 f"VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT(poll_id, channel, voter) {update}",
                 (poll.id, channel, voter, option, now, now, comment_id))
    changed(conn, RESULTS_SCREEN, poll.id)
    if before is None:
        return "counted"
    return "changed" if poll.allow_change and before[0] != option else "unchanged"


def choice(conn: sqlite3.Connection, poll: Poll, channel: str, voter: str) -> int | None:
    """The option `voter` holds now in `poll` on `channel`, or None."""
    row = conn.execute("SELECT option FROM votes WHERE poll_id = ? AND channel = ? AND voter = ?",
                       (poll.id, channel, voter)).fetchone()
    return row[0] if row else None


def withdraw_comment(conn: sqlite3.Connection, comment_id: str) -> int:
    """A deleted comment (or one edited into something that is not a vote) no longer counts."""
    gone = conn.execute("DELETE FROM votes WHERE channel = 'comment' AND comment_id = ? RETURNING poll_id",
                        (comment_id,)).fetchall()
    for poll_id in {row[0] for row in gone}:
        changed(conn, RESULTS_SCREEN, poll_id)
    return len(gone)


def polls_for_video(conn: sqlite3.Connection, ids: set[str]) -> list[Poll]:
    if not ids:
        return []
    marks = ",".join("?" * len(ids))
    return [Poll.from_row(r) for r in conn.execute(
        f"SELECT * FROM polls WHERE state = 'open' AND video_id IN ({marks}) ORDER BY id", list(ids))]


def tally(conn: sqlite3.Connection, poll: Poll) -> list[int]:
    counts = dict(conn.execute("SELECT option, count(*) FROM votes WHERE poll_id = ? GROUP BY option", (poll.id,)).fetchall())
    return [counts.get(i, 0) for i in range(1, len(poll.options) + 1)]


def tally_by_channel(conn: sqlite3.Connection, poll: Poll) -> list[dict[str, int]]:
    """Per option (in order): its votes by channel, {"messenger": n, "comment": n} (a channel without votes is
    absent)."""
    counts: list[dict[str, int]] = [{} for _ in poll.options]
    for option, channel, n in conn.execute("SELECT option, channel, count(*) FROM votes WHERE poll_id = ? "
                                           "GROUP BY option, channel", (poll.id,)):
        if 1 <= option <= len(counts):
            counts[option - 1][channel] = n
    return counts


def erase_comment_links(conn: sqlite3.Connection, person: Person) -> int:
    """A person asked to be forgotten: their votes stay counted under their key (which already says nothing
    about them), but a live-comment vote no longer points at their comment on Facebook."""
    changed = 0
    for (poll_id,) in conn.execute("SELECT DISTINCT poll_id FROM votes WHERE channel = 'comment' "
                                   "AND comment_id IS NOT NULL").fetchall():
        changed += conn.execute("UPDATE votes SET comment_id = NULL WHERE poll_id = ? AND channel = 'comment' AND voter = ?",
                                (poll_id, person.key(voter_scope(poll_id)))).rowcount
    return changed


def forget_voters(conn: sqlite3.Connection, cutoff: float, limit: int | None) -> int:
    """Retention: a poll closed before `cutoff` takes no more votes, so its votes need no key any longer;
    the counts stay."""
    return conn.execute(
        "UPDATE votes SET voter = NULL, comment_id = NULL WHERE id IN (SELECT v.id FROM votes v JOIN polls p "
        "ON p.id = v.poll_id WHERE p.state = 'closed' AND p.closed_at < ? AND (v.voter IS NOT NULL OR "
        "v.comment_id IS NOT NULL) LIMIT ?)", (cutoff, -1 if limit is None else limit)).rowcount


def vote_times(conn: sqlite3.Connection, since: float) -> list[float]:
    """When each vote counted now was first cast, since `since` (Unix times): the dashboard's votes per minute."""
    return [r[0] for r in conn.execute("SELECT created_at FROM votes WHERE created_at >= ? ORDER BY created_at", (since,))]
