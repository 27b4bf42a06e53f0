"""Private replies inviting commenters to register, the one owner of the `comment_invites` table.

A comment with a keyword under one of the Page's posts or live videos gets its commenter one private reply per
post (handlers/comments.py); the primary key (post, commenter) makes "once" the database's promise.
"""
from __future__ import annotations

import sqlite3


def schema(db) -> None:
    db.execute("CREATE TABLE IF NOT EXISTS comment_invites (post_id TEXT NOT NULL, commenter TEXT NOT NULL, "
               "comment_id TEXT NOT NULL, at REAL NOT NULL, PRIMARY KEY (post_id, commenter))")


def declare(privacy) -> None:
    # The private reply itself is erased with the outbox (it answered one of the commenter's events).
    privacy.personal("comment_invites", person="commenter", kept_from="at", show=show)


def show(conn: sqlite3.Connection, person, words) -> list[str]:
    count = conn.execute("SELECT count(*) FROM comment_invites WHERE commenter = ?", (person.psid,)).fetchone()[0]
    return [words.t("data_comment_invites", count=count)] if count else []


def first_for(conn: sqlite3.Connection, post_id: str, commenter: str, comment_id: str, now: float) -> bool:
    """Record the invitation; True when it is the commenter's first for this post (send it), else False."""
    return bool(conn.execute(
        "INSERT INTO comment_invites (post_id, commenter, comment_id, at) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING",
        (post_id, commenter, comment_id, now)).rowcount)
