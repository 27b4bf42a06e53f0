"""Questions for the speakers: Q&A sessions, the audience's questions and their upvotes, the one owner of the
tables `qa_sessions`, `questions` and `question_upvotes`.

A session of the agenda takes questions while a moderator has opened Q&A for it (several may be open at once; a
question belongs to one). A question arrives `pending` and reaches nothing public until a moderator approves it,
unless the moderator turned on auto-approve for its session; a moderator may also dismiss it with a reason,
correct its typos (what the asker wrote is kept beside it), merge it into another (its upvotes move over, each
voter still once), pin it (shown large on the stream) and mark it answered (with the time in the stream).

Upvotes, like votes (bot/domain/polls.py), are keyed by the voter's pseudonym (`voter_scope`: one per Q&A session,
so a merge can tell two upvotes by one person apart from two people) under a PRIMARY KEY: one upvote per person
per question, an `INSERT ... ON CONFLICT DO NOTHING`, exact under bursts and redeliveries, and still counted and
still blocking a second one after the voter asked to be forgotten. The PSID beside the key is kept only to tell
upvoters when the question is answered; erasure and the retention drop it.

Every change the public screen shows (bot/screens/questions.py) is announced with `public_screens.changed` in
the transaction that made it.
"""
from __future__ import annotations

import sqlite3
import time
from dataclasses import dataclass

from ..privacy import Person
from ..public_screens import changed
from . import question_text

SCREEN = "qa"  # the public screen of a session's questions (bot/screens/questions.py)
MIN_LENGTH, MAX_LENGTH = question_text.MIN_LENGTH, question_text.MAX_LENGTH
valid_text = question_text.valid_text
STATUSES = ("pending", "approved", "dismissed", "merged")


def schema(db) -> None:
    db.execute("""
        CREATE TABLE IF NOT EXISTS qa_sessions (
            session_id TEXT PRIMARY KEY,      -- the agenda's session (content/agenda.toml)
            state TEXT NOT NULL,              -- open | closed
            video_id TEXT,                    -- the live video whose comments may ask ("ถาม:", "Q:", "?")
            auto_approve INTEGER NOT NULL DEFAULT 0,
            pinned INTEGER,                   -- the question shown large on the stream
            opened_at REAL NOT NULL,
            closed_at REAL
        )""")
    db.execute("""
        CREATE TABLE IF NOT EXISTS questions (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            session_id TEXT NOT NULL,
            text TEXT NOT NULL,               -- as shown (a moderator may have corrected it)
            original TEXT,                    -- what the asker wrote, when a moderator changed it
            asker TEXT,                       -- PSID (or commenter id); NULL once forgotten
            reachable INTEGER NOT NULL,       -- 1: `asker` is a PSID to tell (a commenter, once they follow it in the chat)
            shown_name TEXT,                  -- the first name shown beside it; NULL: anonymous
            channel TEXT NOT NULL,            -- messenger | comment
            comment_id TEXT UNIQUE,           -- the live comment that asked it (a redelivery asks nothing twice)
            language TEXT NOT NULL,
            status TEXT NOT NULL,             -- pending | approved | dismissed | merged
            reason TEXT,                      -- why it was dismissed
            flagged TEXT,                     -- rude words found in it, for the moderators
            merged_into INTEGER,
            created_at REAL NOT NULL,
            decided_at REAL,
            answered_at REAL,
            answered_in_stream TEXT           -- "1:02:30": where in the stream the panel answered it
        )""")
    db.execute("CREATE INDEX IF NOT EXISTS questions_by_session ON questions(session_id, status)")
    db.execute("CREATE INDEX IF NOT EXISTS questions_by_asker ON questions(asker) WHERE asker IS NOT NULL")
    db.execute("""
        CREATE TABLE IF NOT EXISTS question_upvotes (
            question_id INTEGER NOT NULL,
            voter TEXT NOT NULL,              -- the voter's pseudonym in voter_scope(session), never the PSID
            psid TEXT,                        -- to tell them it was answered; NULL once forgotten
            created_at REAL NOT NULL,
            PRIMARY KEY (question_id, voter)
        )""")
    db.execute("CREATE INDEX IF NOT EXISTS question_upvotes_by_psid ON question_upvotes(psid) WHERE psid IS NOT NULL")


def declare(privacy) -> None:
    privacy.not_personal("qa_sessions", why="which sessions take questions, as moderators set them")
    privacy.personal("questions", erase=erase_askers, kept_from="created_at")
    privacy.personal("question_upvotes", erase=forget_upvoters, kept_from="created_at")


@dataclass(frozen=True)
class QaSession:
    session_id: str
    state: str
    video_id: str | None
    auto_approve: bool
    pinned: int | None
    opened_at: float
    closed_at: float | None

    @classmethod
    def from_row(cls, row: sqlite3.Row) -> "QaSession":
        return cls(row["session_id"], row["state"], row["video_id"], bool(row["auto_approve"]), row["pinned"],
                   row["opened_at"], row["closed_at"])


@dataclass(frozen=True)
class Question:
    id: int
    session_id: str
    text: str
    original: str | None
    asker: str | None
    shown_name: str | None
    channel: str
    comment_id: str | None
    language: str
    status: str
    reason: str | None
    flagged: str | None
    merged_into: int | None
    created_at: float
    answered_at: float | None
    answered_in_stream: str | None
    reachable: bool = False  # the asker is a PSID to tell
    upvotes: int = 0

    @classmethod
    def from_row(cls, row: sqlite3.Row) -> "Question":
        keys = row.keys()
        return cls(row["id"], row["session_id"], row["text"], row["original"], row["asker"], row["shown_name"],
                   row["channel"], row["comment_id"], row["language"], row["status"], row["reason"], row["flagged"],
                   row["merged_into"], row["created_at"], row["answered_at"], row["answered_in_stream"],
                   bool(row["reachable"]), row["upvotes"] if "upvotes" in keys else 0)


# -- sessions ------------------------------------------------------------------------------------------------------
def open_session(conn: sqlite3.Connection, session_id: str, *, video_id: str | None = None,
                 auto_approve: bool | None = None) -> bool:
    """Open (or reopen) Q&A for an agenda session; True when it was not open. Video and auto-approve are kept when
    not given."""
    was = get_session(conn, session_id)
    conn.execute(
        "INSERT INTO qa_sessions (session_id, state, video_id, auto_approve, opened_at) VALUES (?, 'open', ?, ?, ?) "
        "ON CONFLICT(session_id) DO UPDATE SET state = 'open', closed_at = NULL, "
        "video_id = coalesce(excluded.video_id, video_id), auto_approve = ?",
        (session_id, video_id, int(bool(auto_approve)), time.time(),
         int(bool(auto_approve if auto_approve is not None else (was.auto_approve if was else False)))))
    changed(conn, SCREEN, session_id)
    return was is None or was.state != "open"


def close_session(conn: sqlite3.Connection, session_id: str) -> bool:
    done = conn.execute("UPDATE qa_sessions SET state = 'closed', closed_at = ? WHERE session_id = ? AND state = 'open'",
                        (time.time(), session_id)).rowcount == 1
    if done:
        changed(conn, SCREEN, session_id)
    return done


def get_session(conn: sqlite3.Connection, session_id: str) -> QaSession | None:
    row = conn.execute("SELECT * FROM qa_sessions WHERE session_id = ?", (session_id,)).fetchone()
    return QaSession.from_row(row) if row else None


def sessions(conn: sqlite3.Connection, state: str | None = None) -> list[QaSession]:
    """Every Q&A session (or those in `state`), the most recently opened first."""
    where, args = ("WHERE state = ?", (state,)) if state else ("", ())
    return [QaSession.from_row(r) for r in conn.execute(f"SELECT * FROM qa_sessions {where} ORDER BY opened_at DESC, "
                                                        "session_id", args)]


def sessions_for_video(conn: sqlite3.Connection, ids: set[str]) -> list[QaSession]:
    if not ids:
        return []
    marks = ",".join("?" * len(ids))
    return [QaSession.from_row(r) for r in conn.execute(
        f"SELECT * FROM qa_sessions WHERE state = 'open' AND video_id IN ({marks}) ORDER BY opened_at", list(ids))]


def counts(conn: sqlite3.Connection, session_id: str, between: tuple[float, float] = (0.0, float("inf"))) -> dict[str, int]:
    """{"questions", "pending", "approved", "answered", "dismissed", "merged", "upvotes"} of a session's questions
    (asked `between` [start, end) Unix times: the report's period)."""
    where = "session_id = ? AND created_at >= ? AND created_at < ?"
    row = conn.execute(
        "SELECT count(*), sum(status = 'pending'), sum(status = 'approved'), sum(answered_at IS NOT NULL), "
        f"sum(status = 'dismissed'), sum(status = 'merged') FROM questions WHERE {where}", (session_id, *between)).fetchone()
    upvotes = conn.execute(f"SELECT count(*) FROM question_upvotes WHERE question_id IN (SELECT id FROM questions "
                           f"WHERE {where})", (session_id, *between)).fetchone()[0]
    names = ("questions", "pending", "approved", "answered", "dismissed", "merged")
    return {**{name: value or 0 for name, value in zip(names, row)}, "upvotes": upvotes}


def asked_between(conn: sqlite3.Connection, start: float, end: float) -> list[str]:
    """The sessions with questions asked in [start, end), in the order of their first question."""
    return [r[0] for r in conn.execute("SELECT session_id FROM questions WHERE created_at >= ? AND created_at < ? "
                                       "GROUP BY session_id ORDER BY min(id)", (start, end))]


# -- asking --------------------------------------------------------------------------------------------------------
def ask(conn: sqlite3.Connection, session: QaSession, text: str, asker: str, *, shown_name: str | None,
        language: str, channel: str = "messenger", comment_id: str | None = None) -> Question | None:
    """Record a question (text already valid); None when its comment already asked it (a redelivery). Pending
    unless the session auto-approves; rude words (text or shown name) are flagged, and a flagged question waits
    for a moderator even where the session auto-approves: nothing rude goes on a live screen by itself."""
    flagged = ", ".join(question_text.rude_words(f"{text} {shown_name or ''}")) or None
    status = "approved" if session.auto_approve and flagged is None else "pending"
    now = time.time()
    row = conn.execute(
        "INSERT INTO questions (session_id, text, asker, reachable, shown_name, channel, comment_id, language, status, "
        "flagged, created_at, decided_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT(comment_id) DO NOTHING "
        "RETURNING id",
        (session.session_id, text, asker, int(channel == "messenger"), shown_name, channel, comment_id, language, status,
         flagged, now, now if status == "approved" else None)).fetchone()
    if row is None:
        return None
    if status == "approved":
        changed(conn, SCREEN, session.session_id)
    return get(conn, row[0])


def follow(conn: sqlite3.Connection, question_id: int, psid: str) -> Question | None:
    """A commenter tapped "follow in the chat" under their private reply: their notices go to this chat now."""
    conn.execute("UPDATE questions SET asker = ?, reachable = 1 WHERE id = ? AND channel = 'comment'", (psid, question_id))
    return get(conn, question_id)


def withdraw_comment(conn: sqlite3.Connection, comment_id: str) -> int:
    """A deleted comment takes back its question if no moderator has approved it yet."""
    return conn.execute("UPDATE questions SET status = 'dismissed', reason = 'withdrawn', decided_at = ? "
                        "WHERE comment_id = ? AND status = 'pending'", (time.time(), comment_id)).rowcount


# -- reading -------------------------------------------------------------------------------------------------------
_WITH_UPVOTES = "SELECT q.*, (SELECT count(*) FROM question_upvotes u WHERE u.question_id = q.id) AS upvotes FROM questions q"


def get(conn: sqlite3.Connection, question_id: int) -> Question | None:
    row = conn.execute(f"{_WITH_UPVOTES} WHERE q.id = ?", (question_id,)).fetchone()
    return Question.from_row(row) if row else None


def of_session(conn: sqlite3.Connection, session_id: str, statuses: tuple[str, ...] = STATUSES,
               limit: int = 10_000, offset: int = 0) -> list[Question]:
    """A session's questions in these statuses: the most upvoted first, then the oldest."""
    marks = ",".join("?" * len(statuses))
    return [Question.from_row(r) for r in conn.execute(
        f"{_WITH_UPVOTES} WHERE q.session_id = ? AND q.status IN ({marks}) ORDER BY upvotes DESC, q.id LIMIT ? OFFSET ?",
        (session_id, *statuses, limit, offset))]


def queue(conn: sqlite3.Connection, session_id: str) -> list[Question]:
    """What waits for a moderator, the oldest first."""
    return sorted(of_session(conn, session_id, ("pending",)), key=lambda q: q.id)


def by_comment(conn: sqlite3.Connection, comment_id: str) -> Question | None:
    row = conn.execute(f"{_WITH_UPVOTES} WHERE q.comment_id = ?", (comment_id,)).fetchone()
    return Question.from_row(row) if row else None


def every(conn: sqlite3.Connection) -> list[Question]:
    return [Question.from_row(r) for r in conn.execute(f"{_WITH_UPVOTES} ORDER BY q.id")]


# -- moderating ----------------------------------------------------------------------------------------------------
def _decide(conn: sqlite3.Connection, question_id: int, sql: str, args: tuple, allowed: tuple[str, ...]) -> Question:
    question = get(conn, question_id)
    if question is None:
        raise ValueError(f"question {question_id} not found")
    if question.status not in allowed:
        raise ValueError(f"question {question_id} is {question.status}")
    conn.execute(f"UPDATE questions SET {sql} WHERE id = ?", (*args, question_id))
    changed(conn, SCREEN, question.session_id)
    return get(conn, question_id)


def approve(conn: sqlite3.Connection, question_id: int) -> Question:
    """pending (or dismissed) -> approved: on the screen and among "see questions". Raises ValueError otherwise."""
    return _decide(conn, question_id, "status = 'approved', reason = NULL, decided_at = ?", (time.time(),),
                   ("pending", "dismissed"))


def dismiss(conn: sqlite3.Connection, question_id: int, reason: str) -> Question:
    """-> dismissed, with the reason its asker is told; off the screen if it was on it."""
    reason = " ".join(reason.split())[:200]
    if not reason:
        raise ValueError("a dismissal needs a reason (the asker is told)")
    return _decide(conn, question_id, "status = 'dismissed', reason = ?, decided_at = ?", (reason, time.time()),
                   ("pending", "approved"))


def edit(conn: sqlite3.Connection, question_id: int, text: str) -> Question:
    """Correct a question's typos; what the asker wrote is kept (`original`), once."""
    text = valid_text(text)
    if text is None:
        raise ValueError(f"a question is {MIN_LENGTH} to {MAX_LENGTH} characters")
    return _decide(conn, question_id, "original = coalesce(original, text), text = ?, flagged = ?",
                   (text, ", ".join(question_text.rude_words(text)) or None), ("pending", "approved"))


def answer(conn: sqlite3.Connection, question_id: int, in_stream: str | None = None) -> Question:
    """Mark an approved question answered (`in_stream`: where in the stream, "1:02:30"); it leaves the pin."""
    if in_stream is not None and not question_text.stream_time(in_stream):
        raise ValueError("the time in the stream is H:MM:SS or MM:SS")
    question = _decide(conn, question_id, "answered_at = coalesce(answered_at, ?), answered_in_stream = ?",
                       (time.time(), question_text.stream_time(in_stream) if in_stream else None), ("approved",))
    conn.execute("UPDATE qa_sessions SET pinned = NULL WHERE pinned = ?", (question_id,))
    return question


def pin(conn: sqlite3.Connection, question_id: int | None, session_id: str | None = None) -> Question | None:
    """Show an approved question large on the stream (None: unpin the session's)."""
    if question_id is None:
        conn.execute("UPDATE qa_sessions SET pinned = NULL WHERE session_id = ?", (session_id,))
        changed(conn, SCREEN, session_id)
        return None
    question = get(conn, question_id)
    if question is None or question.status != "approved":
        raise ValueError(f"question {question_id} is not approved")
    conn.execute("UPDATE qa_sessions SET pinned = ? WHERE session_id = ?", (question_id, question.session_id))
    changed(conn, SCREEN, question.session_id)
    return question


def merge(conn: sqlite3.Connection, duplicate_id: int, into_id: int) -> Question:
    """Merge a duplicate into a question of the same session: its upvotes move over (a person who upvoted both
    counts once), it leaves the screen, and its asker hears when the other is answered. Returns the target."""
    duplicate, target = get(conn, duplicate_id), get(conn, into_id)
    if duplicate is None or target is None or duplicate_id == into_id:
        raise ValueError("merge needs two different questions")
    if duplicate.session_id != target.session_id:
        raise ValueError("questions of different sessions cannot be merged")
    if duplicate.status == "merged" or target.status in ("merged", "dismissed"):
        raise ValueError(f"question {duplicate_id} is {duplicate.status}, {into_id} is {target.status}")
    conn.execute("INSERT INTO question_upvotes (question_id, voter, psid, created_at) SELECT ?, voter, psid, created_at "
                 "FROM question_upvotes WHERE question_id = ? ON CONFLICT DO NOTHING", (into_id, duplicate_id))
    conn.execute("DELETE FROM question_upvotes WHERE question_id = ?", (duplicate_id,))
    conn.execute("UPDATE questions SET status = 'merged', merged_into = ?, decided_at = ? WHERE id = ?",
                 (into_id, time.time(), duplicate_id))
    conn.execute("UPDATE questions SET merged_into = ? WHERE merged_into = ?", (into_id, duplicate_id))
    conn.execute("UPDATE qa_sessions SET pinned = NULL WHERE pinned = ?", (duplicate_id,))
    changed(conn, SCREEN, target.session_id)
    return get(conn, into_id)


# -- upvotes -------------------------------------------------------------------------------------------------------
def voter_scope(session_id: str) -> str:
    """The pseudonym scope of a Q&A session's upvoters (`ctx.pseudonym(voter_scope(...))`)."""
    return f"qa:{session_id}"


def upvote(conn: sqlite3.Connection, question: Question, voter: str, psid: str | None) -> bool:
    """One upvote by `voter` (their pseudonym in the session's scope); True when it counted, False when they had
    already upvoted it. Only approved questions take upvotes (ValueError otherwise)."""
    if question.status != "approved":
        raise ValueError(f"question {question.id} is {question.status}")
    counted = conn.execute("INSERT INTO question_upvotes (question_id, voter, psid, created_at) VALUES (?, ?, ?, ?) "
                           "ON CONFLICT DO NOTHING", (question.id, voter, psid, time.time())).rowcount == 1
    if counted:
        changed(conn, SCREEN, question.session_id)
    return counted


def to_tell(conn: sqlite3.Connection, question_id: int) -> list[str]:
    """Whom an answer concerns: its asker, the askers of the questions merged into it, and its upvoters (PSIDs
    still known, each once)."""
    rows = conn.execute("SELECT asker FROM questions WHERE (id = ? OR merged_into = ?) AND reachable = 1 AND asker "
                        "IS NOT NULL UNION SELECT psid FROM question_upvotes WHERE question_id = ? AND psid IS NOT NULL",
                        (question_id,) * 3).fetchall()
    return sorted({r[0] for r in rows})


# -- personal data -------------------------------------------------------------------------------------------------
def erase_askers(conn: sqlite3.Connection, person: Person) -> int:
    """A person asked to be forgotten: their questions lose their author; the text stays only where a moderator
    approved it and it names no one (question_text.names_someone), otherwise the question goes with its upvotes."""
    changed_rows = 0
    for row in conn.execute("SELECT id, session_id, text, original, shown_name, status FROM questions WHERE asker = ?",
                            (person.psid,)).fetchall():
        names = [row["shown_name"]] if row["shown_name"] else []
        keep = row["status"] == "approved" and not any(question_text.names_someone(t, names)
                                                       for t in (row["text"], row["original"]) if t)
        if keep:
            conn.execute("UPDATE questions SET asker = NULL, reachable = 0, shown_name = NULL, original = NULL, "
                         "comment_id = NULL WHERE id = ?", (row["id"],))
        else:
            conn.execute("DELETE FROM question_upvotes WHERE question_id = ?", (row["id"],))
            conn.execute("DELETE FROM questions WHERE id = ?", (row["id"],))
            conn.execute("UPDATE qa_sessions SET pinned = NULL WHERE pinned = ?", (row["id"],))
        changed(conn, SCREEN, row["session_id"])
        changed_rows += 1
    return changed_rows


def forget_upvoters(conn: sqlite3.Connection, person: Person) -> int:
    """Upvotes stay counted under their keys (which say nothing about the person, and still block a second
    upvote); only the PSID kept to tell them of the answer goes."""
    return conn.execute("UPDATE question_upvotes SET psid = NULL WHERE psid = ?", (person.psid,)).rowcount


def asked_times(conn: sqlite3.Connection, since: float) -> list[float]:
    """When each question was asked, since `since` (Unix times): the dashboard's questions per minute."""
    return [r[0] for r in conn.execute("SELECT created_at FROM questions WHERE created_at >= ? ORDER BY created_at",
                                       (since,))]
