"""The outbox: every message the bot sends is a row first, then a Send API call.

Rows are written in the same transaction as the work that produced them (an inbox event marked done, a
reminder fired, a broadcast fanned out), so a crash either keeps both or neither. The sender then delivers
them at most `SEND_RATE` a second, one message at a time per recipient in the order they were queued, with
enough requests in flight to hold that rate at Facebook's 100-300 ms latency.

Messenger's rules are applied at send time, when the window is known for sure:
- inside 24 hours of the person's last message: `RESPONSE` for replies, `UPDATE` for the bot's own messages;
- outside it, a human's reply with the `HUMAN_AGENT` tag (up to 7 days), or a row's utility fallback as a utility
  message (`messaging_type: UTILITY`) when its template is APPROVED (bot/messenger/utility_messages.py); otherwise not sent
  and recorded as `outside_window`, with the reason ("no approved template" when that is what was missing).
  The event-update tags were retired on 27 April 2026; queuing one is a bug and raises.

A Page Facebook has restricted from sending (error 10/1893063, since June 2026) pauses all sending as an invalid
token does: nothing is burned, and one message at a time is tried again every TOKEN_RECHECK_SECONDS until one
goes through. Facebook refusing a tag or a utility template (error 100) is a final failure with an operator alert,
never retried; the template is marked REFUSED so the next messages are not sent into the same refusal.

This module owns the `outbox` table: the rules above and every query of it; bot/messenger/sender.py sends.

Every row ends in a final state: sent, failed, outside_window, user_unavailable, no_matching_user, or cancelled
(a broadcast stopped before the row's turn). A row that
was being sent when the process died (kill -9) is the one case Facebook gives no way to settle: it goes back
to the queue, so such a message may arrive twice rather than never (at most `SEND_CONCURRENCY` messages).
"""
from __future__ import annotations

import json
import sqlite3
import time
from typing import Iterable

from ..privacy import ERASED
from ..store import ensure_table
from . import people, utility_messages
from .replies import Outgoing, Reply

WINDOW_SECONDS = 24 * 3600
HUMAN_AGENT_SECONDS = 7 * 24 * 3600
# The only message tag Facebook still accepts: a person's reply up to 7 days after the person's last message.
# CONFIRMED_EVENT_UPDATE, POST_PURCHASE_UPDATE and ACCOUNT_UPDATE were retired on 27 April 2026 (the Send API answers
# them with error 100); recurring notifications ended in February 2026. Utility messages replace the event tags.
ALLOWED_TAGS = frozenset({"HUMAN_AGENT"})
RETIRED_TAGS = frozenset({"CONFIRMED_EVENT_UPDATE", "POST_PURCHASE_UPDATE", "ACCOUNT_UPDATE"})
OUTSIDE_NO_TAG = "outside the 24-hour window and no permitted tag"
OPEN = ("queued", "sending")
# A finished row's status as a broadcast's report counts it.
RESULTS = {"sent": "sent", "failed": "failed", "user_unavailable": "failed", "no_matching_user": "failed",
           "outside_window": "skipped", "cancelled": "skipped"}


def schema(db) -> None:
    ensure_table(
        db, "outbox",
        {
            "id": int,
            "recipient_key": str,  # psid, or "comment:<id>" for a private reply
            "psid": str,  # whose 24 h window applies (None for private replies)
            "request": str,  # JSON: recipient + message | sender_action, without messaging_type
            "intent": str,  # RESPONSE | UPDATE | PRIVATE_REPLY
            "tag": str,  # a MESSAGE_TAG allowed outside the window, or None
            "status": str,  # queued | sending | sent | failed | outside_window | user_unavailable | no_matching_user | cancelled
            "attempts": int,
            "next_attempt_at": float,
            "created_at": float,
            "finished_at": float,
            "message_id": str,
            "error": str,
            "source_event_id": int,
            "dedup_key": str,  # optional: "exactly once" keys for reminders and broadcasts
            "batch": str,  # optional: the broadcast or job that made it
            "claimed_by": str,  # the process sending it (while `sending`)
            "claimed_at": float,
            "priority": int,  # 0: conversation, reminders, polls; 1: broadcasts, which yield to replies
            "utility": str,  # JSON: the utility message to send instead outside the window (bot/messenger/utility_messages.py)
            "sent_as": str,  # how it went: RESPONSE, UPDATE, MESSAGE_TAG HUMAN_AGENT, UTILITY <template> (<language>)
        },
        pk="id",
        not_null={"recipient_key", "request", "intent", "status", "created_at"},
        defaults={"status": "queued", "attempts": 0, "next_attempt_at": 0, "priority": 0},
    )
    # Partial indexes stay small: finished rows leave them.
    db.execute("CREATE UNIQUE INDEX IF NOT EXISTS outbox_dedup ON outbox(dedup_key) WHERE dedup_key IS NOT NULL")
    # SQLite uses a partial index only when the query repeats its condition: one index per status queried.
    db.execute("CREATE INDEX IF NOT EXISTS outbox_open ON outbox(id) WHERE status IN ('queued', 'sending')")
    queued_by_priority(db)
    db.execute("CREATE INDEX IF NOT EXISTS outbox_sending ON outbox(claimed_by) WHERE status = 'sending'")
    db.execute("CREATE INDEX IF NOT EXISTS outbox_failed ON outbox(finished_at) WHERE status = 'failed'")
    db.execute(
        "CREATE INDEX IF NOT EXISTS outbox_open_by_recipient ON outbox(recipient_key, id) "
        "WHERE status IN ('queued', 'sending')"
    )
    db.execute("CREATE INDEX IF NOT EXISTS outbox_batch ON outbox(batch, status) WHERE batch IS NOT NULL")
    db.execute("CREATE INDEX IF NOT EXISTS outbox_source ON outbox(source_event_id)")
    db.execute("CREATE INDEX IF NOT EXISTS outbox_psid ON outbox(psid, id)")  # a person's history (hand-over inbox)


def queued_by_priority(db) -> None:
    """The sender takes queued rows by priority, then in order: a citizen's reply does not wait behind a broadcast
    (a migration too: the index of a database from before, queued rows in order only, goes)."""
    db.execute("DROP INDEX IF EXISTS outbox_queued")
    db.execute("CREATE INDEX IF NOT EXISTS outbox_queued_by_priority ON outbox(priority, id) WHERE status = 'queued'")


def enqueue(conn: sqlite3.Connection, psid: str | None, replies: Iterable[Reply | Outgoing], *,
            intent: str = "RESPONSE", source_event_id: int | None = None, batch: str | None = None,
            now: float | None = None, priority: int = 0) -> int:
    """Queue replies for `psid` (or each Outgoing's own recipient) inside the caller's transaction.

    Returns how many rows were queued. An Outgoing with a `dedup_key` already queued is skipped: that is how
    reminders and broadcasts stay exactly-once across restarts.
    """
    now = time.time() if now is None else now
    queued = 0
    for item in replies:
        utility = None
        if isinstance(item, Outgoing):
            reply, recipient, row_intent, tag, dedup = item.reply, item.recipient, item.intent, item.tag, item.dedup_key
            utility = item.utility
            if not recipient:
                recipient = {"id": psid}
        else:
            reply, recipient, row_intent, tag, dedup = item, {"id": psid}, intent, None, None
        if tag is not None and tag not in ALLOWED_TAGS:
            retired = " (retired on 27 April 2026: use a utility message)" if tag in RETIRED_TAGS else ""
            raise ValueError(f"message tag {tag!r} is not one Facebook allows{retired}")
        if "comment_id" in recipient:
            key, window_psid, row_intent = f"comment:{recipient['comment_id']}", None, "PRIVATE_REPLY"
        else:
            key = window_psid = str(recipient["id"])
        for index, request in enumerate(reply.to_requests()):
            body = {"recipient": recipient, **request}
            # The utility fallback stands for the whole reply: it rides on its first request only.
            fallback = json.dumps(utility, ensure_ascii=False) if utility and index == 0 else None
            cursor = conn.execute(
                "INSERT INTO outbox (recipient_key, psid, request, intent, tag, created_at, source_event_id, "
                "dedup_key, batch, priority, utility) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
                (key, window_psid, json.dumps(body, ensure_ascii=False), row_intent, tag, now, source_event_id,
                 f"{dedup}#{index}" if dedup else None, batch, priority, fallback),
            )
            queued += cursor.rowcount
    return queued


def messaging_fields(intent: str, tag: str | None, last_interaction_at: float | None, now: float) -> dict | None:
    """The `messaging_type` (and `tag`) Facebook's policy allows for this message now, or None: do not send."""
    if intent == "PRIVATE_REPLY":
        return {}  # a private reply answers a comment; it carries no messaging_type
    age = now - last_interaction_at if last_interaction_at else None
    if age is not None and age < WINDOW_SECONDS:
        return {"messaging_type": "RESPONSE" if intent == "RESPONSE" else "UPDATE"}
    if tag in ALLOWED_TAGS and not (tag == "HUMAN_AGENT" and (age is None or age >= HUMAN_AGENT_SECONDS)):
        return {"messaging_type": "MESSAGE_TAG", "tag": tag}
    return None


def what_to_send(conn: sqlite3.Connection, row: sqlite3.Row, now: float) -> tuple[dict | None, dict | None, str]:
    """(the Send API body, the utility fallback it is, if so, "") for a queued row, or (None, None, why not)."""
    body = json.loads(row["request"])
    fields = messaging_fields(row["intent"], row["tag"], row["last_interaction_at"], now)
    if fields is not None:
        return {**body, **fields}, None, ""
    if not row["utility"]:
        return None, None, OUTSIDE_NO_TAG
    fallback = json.loads(row["utility"])
    status, _ = utility_messages.status_of(conn, fallback["name"], fallback["language"])
    if status != utility_messages.APPROVED:
        return None, None, (f"{utility_messages.NO_APPROVED_TEMPLATE} ({fallback['name']}, {fallback['language']}: "
                            f"{status or 'not created'})")
    return {"recipient": body["recipient"], **utility_messages.send_fields(fallback)}, fallback, ""



def not_sent(conn: sqlite3.Connection, psids: list[str], batch: str, why: str, now: float, priority: int = 0) -> None:
    """A result without a Send API call for each of `psids`: a bulk message they cannot get (outside the window,
    no permitted tag; the rule is Facebook's), keyed `<batch>:<psid>#0` like the message they would have got."""
    conn.executemany(
        "INSERT INTO outbox (recipient_key, psid, request, intent, status, created_at, finished_at, error, dedup_key, "
        "batch, priority) VALUES (?, ?, ?, 'UPDATE', 'outside_window', ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
        [(psid, psid, json.dumps({"recipient": {"id": psid}, "skipped": True}), now, now, why, f"{batch}:{psid}#0",
          batch, priority) for psid in psids])


# -- the sender's side (bot/messenger/sender.py) --------------------------------------------------------------------
def any_due(conn: sqlite3.Connection, now: float) -> bool:
    return conn.execute("SELECT 1 FROM outbox WHERE status = 'queued' AND next_attempt_at <= ? LIMIT 1",
                        (now,)).fetchone() is not None


def first_in_line(conn: sqlite3.Connection, now: float, limit: int) -> list[sqlite3.Row]:
    """Due rows that are first in line for their recipient (one message at a time per person, in order),
    conversation before bulk, with the recipient's `last_interaction_at`. A reply to an event of someone who is no
    longer in `users` (they asked to be forgotten in that very event) has the event's handling as its window: it
    was queued in the transaction that handled their message."""
    return conn.execute(
        f"""
        SELECT o.id, o.recipient_key, o.psid, o.request, o.intent, o.tag, o.attempts, o.utility,
               coalesce({people.last_interaction_sql("o.psid")},
                        CASE WHEN o.intent = 'RESPONSE' AND o.source_event_id IS NOT NULL THEN o.created_at END)
                 AS last_interaction_at
        FROM outbox o
        WHERE o.status = 'queued' AND o.next_attempt_at <= :now
          AND NOT EXISTS (SELECT 1 FROM outbox p WHERE p.recipient_key = o.recipient_key
                          AND p.status IN ('queued', 'sending') AND p.id < o.id)
        ORDER BY o.priority, o.id LIMIT :limit
        """,
        {"now": now, "limit": limit},
    ).fetchall()


def sent_as(body: dict, utility: dict | None) -> str:
    """How a message goes, as its row records it: RESPONSE, UPDATE, MESSAGE_TAG HUMAN_AGENT, UTILITY <template>."""
    if utility:
        return f"UTILITY {utility['name']} ({utility['language']})"
    return " ".join(str(v) for v in (body.get("messaging_type"), body.get("tag")) if v) or "PRIVATE_REPLY"


def claim(conn: sqlite3.Connection, row_id: int, owner: str, now: float, sent_as: str) -> None:
    conn.execute("UPDATE outbox SET status = 'sending', claimed_by = ?, claimed_at = ?, sent_as = ? WHERE id = ?",
                 (owner, now, sent_as, row_id))


def outside_window(conn: sqlite3.Connection, row_id: int, now: float, why: str) -> None:
    conn.execute("UPDATE outbox SET status = 'outside_window', finished_at = ?, error = ? WHERE id = ?",
                 (now, why, row_id))


def sent(conn: sqlite3.Connection, row_id: int, now: float, message_id: str | None) -> None:
    conn.execute("UPDATE outbox SET status = 'sent', finished_at = ?, message_id = ?, attempts = attempts + 1, "
                 "error = NULL WHERE id = ?", (now, message_id, row_id))


def requeue(conn: sqlite3.Connection, row_id: int) -> None:
    """Not attempted (sending is paused): back in the queue as it was."""
    conn.execute("UPDATE outbox SET status = 'queued', claimed_by = NULL WHERE id = ?", (row_id,))


def retry_at(conn: sqlite3.Connection, row_id: int, at: float, error: str | None) -> None:
    conn.execute("UPDATE outbox SET status = 'queued', claimed_by = NULL, attempts = attempts + 1, next_attempt_at = ?, "
                 "error = ? WHERE id = ?", (at, error, row_id))


def finish(conn: sqlite3.Connection, row_id: int, status: str, now: float, error: str | None) -> None:
    """A final state after an attempt: failed, user_unavailable, no_matching_user, ..."""
    conn.execute("UPDATE outbox SET status = ?, finished_at = ?, attempts = attempts + 1, error = ? WHERE id = ?",
                 (status, now, error, row_id))


def sending_owners(conn: sqlite3.Connection) -> list[str | None]:
    return [r[0] for r in conn.execute("SELECT DISTINCT claimed_by FROM outbox WHERE status = 'sending'")]


def requeue_claims(conn: sqlite3.Connection, owner: str | None) -> int:
    """Rows a process that is gone was sending go back to the queue (they may or may not have reached Facebook)."""
    return conn.execute("UPDATE outbox SET status = 'queued', claimed_by = NULL WHERE status = 'sending' "
                        "AND claimed_by IS ?", (owner,)).rowcount


def requeue_stale_claims(conn: sqlite3.Connection, before: float, me: str) -> int:
    """Claims another process has not settled since `before` (a hung process, another host) are lost: requeued."""
    return conn.execute("UPDATE outbox SET status = 'queued', claimed_by = NULL WHERE status = 'sending' AND claimed_at < ? "
                        "AND claimed_by IS NOT ?", (before, me)).rowcount


# -- figures ------------------------------------------------------------------------------------------------------
def backlog(conn: sqlite3.Connection) -> int:
    """Messages queued or being sent."""
    return conn.execute("SELECT count(*) FROM outbox WHERE status IN ('queued', 'sending')").fetchone()[0]


def failed_since(conn: sqlite3.Connection, since: float) -> int:
    return conn.execute("SELECT count(*) FROM outbox WHERE status = 'failed' AND finished_at > ?", (since,)).fetchone()[0]


def held_since(conn: sqlite3.Connection, since: float, reason: str) -> int:
    """Messages not sent outside the window for `reason` (a prefix: "no approved template") since `since`."""
    return conn.execute("SELECT count(*) FROM outbox WHERE status = 'outside_window' AND error LIKE ? AND finished_at > ?",
                        (reason + "%", since)).fetchone()[0]


def history(conn: sqlite3.Connection, psid: str, limit: int) -> list[sqlite3.Row]:
    """What the Page sent a person (messages, not sender actions), newest first: (request, created_at, status, batch)."""
    return conn.execute("SELECT request, created_at, status, batch FROM outbox WHERE psid = ? "
                        "AND request LIKE '%\"message\"%' ORDER BY id DESC LIMIT ?", (psid, limit)).fetchall()


# -- batches (a broadcast's, a poll's, a reminder's messages) --------------------------------------------------------
def batch_counts(conn: sqlite3.Connection, batch: str) -> dict[str, int]:
    """Rows of `batch` by result: sent, failed, skipped, pending."""
    counts = {"sent": 0, "failed": 0, "skipped": 0, "pending": 0}
    for status, n in conn.execute("SELECT status, count(*) FROM outbox WHERE batch = ? GROUP BY status", (batch,)):
        counts[RESULTS.get(status, "pending")] += n
    return counts


def batch_rows(conn: sqlite3.Connection, batch: str):
    """One row per message of `batch`, in order: psid, the recipient's language, status, sent_as, finished_at,
    message_id, error."""
    return conn.execute(
        f"SELECT o.psid, {people.language_sql('o.psid')} AS language, o.status, o.finished_at, o.message_id, o.error, "
        "o.sent_as FROM outbox o WHERE o.batch = ? ORDER BY o.id", (batch,))


def recent_choices(conn: sqlite3.Connection, psid: str, since: float, messages: int = 5) -> list[list[tuple[str, str]]]:
    """(title, payload) of the quick replies under each of the last `messages` messages queued for `psid` after
    `since`, newest first (an empty list for a message without any). Reads `outbox_psid` (psid, id)."""
    found = []
    for row in conn.execute("SELECT request, created_at FROM outbox WHERE psid = ? AND recipient_key = psid "
                            "ORDER BY id DESC LIMIT ?", (psid, messages)):
        if row["created_at"] < since:
            break
        try:
            quick = (json.loads(row["request"]).get("message") or {}).get("quick_replies") or []
        except (ValueError, AttributeError):  # an erased request
            quick = []
        found.append([(q.get("title", ""), q.get("payload", "")) for q in quick if q.get("content_type") == "text"])
    return found


def batch_reasons(conn: sqlite3.Connection, batch: str, by_status: bool = False) -> list[tuple]:
    """Why messages of `batch` were not sent, with how many each, most first: (error or status, n); with
    `by_status`: (status, error, n)."""
    if by_status:
        return [tuple(r) for r in conn.execute(
            "SELECT status, error, count(*) FROM outbox WHERE batch = ? AND status NOT IN ('sent', 'queued', "
            "'sending') GROUP BY status, error", (batch,))]
    return [(r[0], r[1]) for r in conn.execute(
        "SELECT coalesce(error, status), count(*) AS n FROM outbox WHERE batch = ? AND status NOT IN "
        "('sent', 'queued', 'sending') GROUP BY 1 ORDER BY n DESC", (batch,))]


def batch_as_utility(conn: sqlite3.Connection, batch: str) -> int:
    """Messages of `batch` that went as utility messages."""
    return conn.execute("SELECT count(*) FROM outbox WHERE batch = ? AND status = 'sent' AND sent_as LIKE 'UTILITY%'",
                        (batch,)).fetchone()[0]


def cancel_batch(conn: sqlite3.Connection, batch: str, now: float, why: str) -> int:
    """Queued messages of `batch` are not sent (those in flight finish). Returns how many."""
    return conn.execute("UPDATE outbox SET status = 'cancelled', finished_at = ?, error = ? WHERE batch = ? "
                        "AND status = 'queued'", (now, why, batch)).rowcount


def batch_open_sql(batch_expression: str) -> str:
    """Whether messages of the batch `batch_expression` (SQL) are still queued or being sent, as SQL."""
    return (f"EXISTS (SELECT 1 FROM outbox o WHERE o.batch = {batch_expression} "
            "AND o.status IN ('queued', 'sending'))")


# -- personal data (bot/privacy.py) -------------------------------------------------------------------------------
def erase(conn: sqlite3.Connection, person, events: str) -> int:
    """What the bot and moderators sent them, and what it sent others about them (a moderator's alert with
    their name and last message: any message caused by one of their events, `events` being the subquery of
    their events' ids, in :psid and :key, from the inbox's owner). Messages not sent yet are cancelled; the PSID
    becomes the pseudonym; Facebook's message ids go."""
    return conn.execute(
        "UPDATE outbox SET request = :erased, error = NULL, message_id = NULL, "
        "status = CASE WHEN status = 'queued' THEN 'cancelled' ELSE status END, "
        "finished_at = CASE WHEN status = 'queued' THEN :now ELSE finished_at END, "
        "psid = CASE WHEN psid = :psid THEN :key ELSE psid END, "
        "recipient_key = CASE WHEN recipient_key = :psid OR recipient_key LIKE 'comment:%' THEN :key "
        "ELSE recipient_key END, dedup_key = replace(dedup_key, :psid, :key) "
        "WHERE psid = :psid OR recipient_key = :psid "
        f"OR source_event_id IN ({events})",
        {"erased": ERASED, "psid": person.psid, "key": person.key(), "now": person.now}).rowcount


def purge(conn: sqlite3.Connection, cutoff: float, limit: int | None) -> int:
    return conn.execute("DELETE FROM outbox WHERE id IN (SELECT id FROM outbox WHERE created_at < ? "
                        "AND status NOT IN ('queued', 'sending') LIMIT ?)", (cutoff, -1 if limit is None else limit)).rowcount


def declare(privacy, events: str) -> None:
    """`events`: the subquery of a person's events' ids (see `erase`)."""
    privacy.personal("outbox", erase=lambda conn, person: erase(conn, person, events), purge=purge, show=show)


def show(conn: sqlite3.Connection, person, words) -> list[str]:
    """How many messages the Page sent the person are kept."""
    count = conn.execute("SELECT count(*) FROM outbox WHERE psid = ?", (person.psid,)).fetchone()[0]
    return [words.t("data_outbox", count=count)] if count else []
