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

Every row ends in a final state: sent, failed, outside_window, user_unavailable, no_matching_user, or cancelled
(a broadcast stopped before the row's turn). A row that
was being sent when the process died (kill -9) is the one case Facebook gives no way to settle: it goes back
to the queue, so such a message may arrive twice rather than never (at most `SEND_CONCURRENCY` messages).
"""
from __future__ import annotations

import json
import logging
import random
import sqlite3
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Iterable

from . import alerts, graph, utility_messages
from .graph import GraphClient, GraphError
from ..lease import owner_gone
from ..logs import event as log_event
from .replies import Outgoing, Reply, Text
from ..store import Store

log = logging.getLogger(__name__)

WINDOW_SECONDS = 24 * 3600
HUMAN_AGENT_SECONDS = 7 * 24 * 3600
# The only message tag Facebook still accepts: a person's reply up to 7 days after the person's last message.
# CONFIRMED_EVENT_UPDATE, POST_PURCHASE_UPDATE and ACCOUNT_UPDATE were retired on 27 April 2026 (the Send API answers
# them with error 100); recurring notifications ended in February 2026. Utility messages replace the event tags.
ALLOWED_TAGS = frozenset({"HUMAN_AGENT"})
RETIRED_TAGS = frozenset({"CONFIRMED_EVENT_UPDATE", "POST_PURCHASE_UPDATE", "ACCOUNT_UPDATE"})
MAX_ATTEMPTS = 8
CLAIM_BATCH = 16  # rows a sender claims at a time
SETTLE_BATCH = 32  # results recorded in one transaction when sends are plentiful
PAUSE_KEY = "sender_paused"  # JSON {"since", "reason", "kind": "token" | "restricted"}
THROTTLE_KEY = "sender_throttled_until"
OUTSIDE_NO_TAG = "outside the 24-hour window and no permitted tag"
PAUSE_REASONS = {
    "token": "sending paused: the Page access token is invalid or expired",
    "restricted": "sending paused: Facebook has temporarily restricted the Page from sending messages (error 10/1893063)",
}


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


def _what_to_send(conn: sqlite3.Connection, row: sqlite3.Row, now: float) -> tuple[dict | None, dict | None, str]:
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


@dataclass
class _Claimed:
    id: int
    recipient_key: str
    psid: str | None
    body: dict
    attempts: int
    utility: dict | None = None  # the fallback this row is being sent as (a utility message), if so


@dataclass
class _Result:
    row: _Claimed
    status: str  # a final state, or "retry" / "requeue"
    message_id: str | None = None
    error: str | None = None
    delay: float = 0.0
    refused: bool = False  # Facebook refused the tag or the utility template itself (error 100)


class OutboxSender:
    """Delivers queued rows: a dispatcher thread claims, a pool of threads sends.

    The lease holder runs it, but nothing depends on there being only one: claims are write transactions that
    mark rows `sending` with their process as owner (so a restart requeues only what a dead process held),
    `SEND_RATE` is a token bucket kept in the database, and a paused sender (bad token) and a throttling
    cooldown are shared through the database. Two senders overlapping during a takeover stay correct.
    """

    backoff_base = 0.5  # seconds before the first retry; doubles each time (with jitter)
    backoff_cap = 300.0
    throttle_floor = 5.0  # the least everyone waits after Facebook says "too many calls"
    recover_every = 10.0  # seconds between looks for rows left `sending` by a process that died

    def __init__(self, store: Store, client: GraphClient, rate: float, concurrency: int, owner: str,
                 token_recheck_seconds: float = 30.0, moderators: frozenset[str] = frozenset()):
        self.store = store
        self.client = client
        self.rate = float(rate)
        self.burst = max(1.0, self.rate / 20)  # at most 50 ms worth of sends at once
        self.concurrency = concurrency
        self.owner = owner
        self.token_recheck_seconds = token_recheck_seconds
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._results: list[_Result] = []
        self._results_lock = threading.Lock()
        self._in_flight = 0
        # Rows claimed by this process whose result is not yet in the database (in flight or awaiting _settle).
        # Claims are bounded by this, not by requests in flight: a kill -9 can then re-send at most
        # `concurrency` messages, the promise the module docstring makes.
        self._unsettled = 0
        self._thread: threading.Thread | None = None
        self._pool: ThreadPoolExecutor | None = None
        self._recovered_at = 0.0
        self._paused = False
        self._pause_kind: str | None = None
        self._probing = False  # after a restriction: one message at a time until one goes through
        self._rechecked_at = 0.0
        self.moderators = moderators  # who gets a Messenger alert when Facebook refuses a tag or a template

    # -- lifecycle --------------------------------------------------------------------------------------
    def start(self) -> None:
        self.recover()
        self._stop.clear()
        self._pool = ThreadPoolExecutor(max_workers=self.concurrency, thread_name_prefix="outbox-send")
        self._thread = threading.Thread(target=self._run, name="outbox-dispatch", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread:
            self._thread.join(timeout)
        if self._pool:
            self._pool.shutdown(wait=True, cancel_futures=False)
        self._settle()

    def wake(self) -> None:
        self._wake.set()

    @property
    def alive(self) -> bool:
        return bool(self._thread and self._thread.is_alive())

    def recover(self) -> int:
        """Requeue rows left `sending` by a process that is gone (an earlier life of this one included).

        Such a row may or may not have reached Facebook (see the module docstring): it goes again.
        """
        now = time.time()
        self._recovered_at = now
        owners = [r[0] for r in self.store.conn.execute(
            "SELECT DISTINCT claimed_by FROM outbox WHERE status = 'sending'")]
        # Never our own rows: they are in flight right now (our owner string is new with every start).
        dead = [o for o in owners if o != self.owner and (o is None or owner_gone(o, self.owner))]
        requeued = 0
        with self.store.write() as conn:
            for owner in dead:
                requeued += conn.execute(
                    "UPDATE outbox SET status = 'queued', claimed_by = NULL WHERE status = 'sending' "
                    "AND claimed_by IS ?", (owner,)).rowcount
            # A claim another process has not settled in 10 minutes is lost (a hung process, another host).
            requeued += conn.execute(
                "UPDATE outbox SET status = 'queued', claimed_by = NULL WHERE status = 'sending' AND claimed_at < ? "
                "AND claimed_by IS NOT ?", (now - 600, self.owner)).rowcount
        if requeued:
            log_event(log, "outbox.requeued_after_crash", logging.WARNING, rows=requeued)
        return requeued

    # -- shared flags -----------------------------------------------------------------------------------
    @property
    def paused(self) -> bool:
        return self._paused

    def _shared_flags(self) -> tuple[bool, float]:
        """(paused for a bad token or a restricted Page, throttled until) as every process sees them."""
        rows = dict(self.store.conn.execute(
            "SELECT key, value FROM runtime_state WHERE key IN (?, ?)", (PAUSE_KEY, THROTTLE_KEY)).fetchall())
        if PAUSE_KEY in rows:
            try:
                self._pause_kind = json.loads(rows[PAUSE_KEY]).get("kind") or "token"
            except (ValueError, AttributeError):
                self._pause_kind = "token"
        return PAUSE_KEY in rows, float(rows.get(THROTTLE_KEY) or 0)

    # -- the dispatcher loop ----------------------------------------------------------------------------
    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self._settle()
                if time.time() - self._recovered_at > self.recover_every:
                    self.recover()
                self._paused, throttled_until = self._shared_flags()
                if self._paused and not self._probing:
                    if self._pause_kind == "restricted":
                        self._recheck_restriction()
                    else:
                        self._check_token()
                    continue
                if time.time() < throttled_until:
                    self._stop.wait(min(1.0, throttled_until - time.time()))
                    continue
                # Small claims: another sender (a takeover in progress) gets its share, and rows go out as claimed.
                # While probing a restriction, one message at a time.
                room = self.concurrency - self._unsettled
                claimed, wait = self._claim(min(CLAIM_BATCH, room) if not self._probing else
                                            (1 if not self._in_flight and not self._unsettled else 0))
                for row in claimed:
                    self._dispatch(row)
                if not claimed:
                    # With sends in flight, settle their results at least every 5 ms.
                    self._wake.wait(min(wait, 0.005) if self._in_flight else wait)
                    self._wake.clear()
            except Exception:  # never let the loop die: log and carry on
                log.exception("outbox.loop_error")
                self._stop.wait(1.0)

    def _claim(self, limit: int) -> tuple[list[_Claimed], float]:
        """Claim due rows first in line for their recipient, within the shared rate. Returns (rows, idle wait)."""
        if limit <= 0:
            return [], 0.005
        now = time.time()
        conn = self.store.conn
        # A read first, so an idle sender does not take the write lock 20 times a second.
        if conn.execute("SELECT 1 FROM outbox WHERE status = 'queued' AND next_attempt_at <= ? LIMIT 1",
                        (now,)).fetchone() is None:
            return [], 0.02 if self._in_flight else 0.05
        claimed: list[_Claimed] = []
        settled = 0
        with self.store.write() as conn:
            bucket = conn.execute("SELECT tokens, updated_at FROM rate_limits WHERE name = 'send'").fetchone()
            tokens = self.burst if bucket is None else min(self.burst, bucket[0] + (now - bucket[1]) * self.rate)
            allowed = min(limit, int(tokens))
            if allowed < 1:
                return [], (1 - tokens) / self.rate
            rows = conn.execute(
                """
                SELECT o.id, o.recipient_key, o.psid, o.request, o.intent, o.tag, o.attempts, o.utility,
                       u.last_interaction_at
                FROM outbox o LEFT JOIN users u ON u.psid = o.psid
                WHERE o.status = 'queued' AND o.next_attempt_at <= :now
                  AND NOT EXISTS (SELECT 1 FROM outbox p WHERE p.recipient_key = o.recipient_key
                                  AND p.status IN ('queued', 'sending') AND p.id < o.id)
                ORDER BY o.priority, o.id LIMIT :limit
                """,
                {"now": now, "limit": allowed},
            ).fetchall()
            for row in rows:
                body, utility, why_not = _what_to_send(conn, row, now)
                if body is None:
                    conn.execute("UPDATE outbox SET status = 'outside_window', finished_at = ?, error = ? WHERE id = ?",
                                 (now, why_not, row["id"]))
                    settled += 1
                    continue
                sent_as = f"UTILITY {utility['name']} ({utility['language']})" if utility else \
                    " ".join(str(v) for v in (body.get("messaging_type"), body.get("tag")) if v) or "PRIVATE_REPLY"
                conn.execute("UPDATE outbox SET status = 'sending', claimed_by = ?, claimed_at = ?, sent_as = ? WHERE id = ?",
                             (self.owner, now, sent_as, row["id"]))
                claimed.append(_Claimed(row["id"], row["recipient_key"], row["psid"], body, row["attempts"], utility))
            conn.execute(
                "INSERT INTO rate_limits (name, tokens, updated_at) VALUES ('send', ?, ?) "
                "ON CONFLICT(name) DO UPDATE SET tokens = excluded.tokens, updated_at = excluded.updated_at",
                (tokens - len(claimed), now),
            )
        if settled:
            self._wake.set()  # settled rows may have unblocked later rows for the same people
        return claimed, 0.0 if settled else 0.02

    def _dispatch(self, row: _Claimed) -> None:
        with self._results_lock:
            self._in_flight += 1
            self._unsettled += 1
        assert self._pool is not None
        self._pool.submit(self._send, row)

    # -- the sending threads ----------------------------------------------------------------------------
    def _send(self, row: _Claimed) -> None:
        try:
            answer = self.client.send(row.body)
            result = _Result(row, "sent", message_id=str(answer.get("message_id") or ""))
        except GraphError as exc:
            result = self._on_error(row, exc)
        except Exception as exc:  # a bug must not leave the row in 'sending' forever
            log.exception("outbox.send_crashed")
            result = _Result(row, "retry", error=f"{type(exc).__name__}", delay=self._backoff(row.attempts))
        with self._results_lock:
            self._results.append(result)
            self._in_flight -= 1
            # Wake the dispatcher for a batch, not for every message: each wake costs two write transactions.
            batch_ready = len(self._results) >= SETTLE_BATCH or self._in_flight <= self.concurrency // 2
        if batch_ready:
            self._wake.set()

    def _on_error(self, row: _Claimed, exc: GraphError) -> _Result:
        action = exc.action
        if action in (graph.TOKEN, graph.RESTRICTED):
            self._pause(str(exc), kind="token" if action == graph.TOKEN else "restricted")
            return _Result(row, "requeue", error=str(exc))
        if exc.code == 100 and (row.utility or row.body.get("tag")):
            # Facebook refuses the tag or the template itself: final, and someone must act on it.
            what = f"utility template {row.utility['name']} ({row.utility['language']})" if row.utility \
                else f"message tag {row.body['tag']}"
            return _Result(row, "failed", error=f"refused by Facebook ({what}): {exc}", refused=True)
        if action == graph.THROTTLED:
            # Page- or app-level throttling: everyone waits, in every process, not just this message.
            until = time.time() + self._backoff(row.attempts, floor=self.throttle_floor)
            self._record_state(THROTTLE_KEY, str(until), keep_larger=True)
            return _Result(row, "retry", error=str(exc), delay=0.0)
        if action == graph.RETRY:
            return _Result(row, "retry", error=str(exc), delay=self._backoff(row.attempts))
        return _Result(row, action, error=str(exc))  # permanent for this message

    def _backoff(self, attempts: int, floor: float = 0.0) -> float:
        """Exponential backoff with jitter."""
        ceiling = min(self.backoff_cap, self.backoff_base * (2 ** attempts))
        return max(floor, random.uniform(ceiling / 2, ceiling))

    def _record_state(self, key: str, value: str, keep_larger: bool = False) -> None:
        try:
            with self.store.write() as conn:
                conn.execute(
                    "INSERT INTO runtime_state (key, value, updated_at) VALUES (?, ?, ?) ON CONFLICT(key) DO UPDATE "
                    "SET value = CASE WHEN ? AND CAST(value AS REAL) > CAST(excluded.value AS REAL) THEN value "
                    "ELSE excluded.value END, updated_at = excluded.updated_at",
                    (key, value, time.time(), keep_larger),
                )
        except sqlite3.Error:
            log.exception("outbox.state_not_recorded")

    def _pause(self, reason: str, kind: str = "token") -> None:
        self._rechecked_at = time.time()
        self._probing = False  # a probe that met the restriction again: wait for the next check
        if self._paused and self._pause_kind == kind:
            return  # already paused for this (several sends in flight meet it at once)
        self._paused, self._pause_kind = True, kind
        name = "outbox.paused_invalid_token" if kind == "token" else "outbox.paused_page_restricted"
        log_event(log, name, logging.ERROR, reason=reason)
        self._record_state(PAUSE_KEY, json.dumps({"since": time.time(), "reason": reason, "kind": kind,
                                                  "explanation": PAUSE_REASONS[kind]}))

    def _recheck_restriction(self) -> None:
        """While the Page is restricted, let one message through every `token_recheck_seconds`: the check is a real
        send (Facebook offers no other), and nothing is burned if the restriction still holds."""
        if self._in_flight:
            self._stop.wait(0.05)
            return
        wait = self._rechecked_at + self.token_recheck_seconds - time.time()
        if wait > 0:
            self._stop.wait(min(wait, 1.0))
            return
        self._probing = True

    def _resume(self) -> None:
        self._paused = self._probing = False
        self.store.set_state(PAUSE_KEY, None)
        log_event(log, "outbox.resumed")
        self._wake.set()

    def _check_token(self) -> None:
        """While paused, ask Facebook now and then whether the token works again."""
        if self._in_flight:
            self._stop.wait(0.05)
            return
        try:
            ok = self.client.check_token()
        except GraphError:
            ok = False
        if ok:
            self._resume()
        else:
            self._stop.wait(self.token_recheck_seconds)

    # -- recording results ------------------------------------------------------------------------------
    def _settle(self) -> None:
        with self._results_lock:
            results, self._results = self._results, []
        if not results:
            return
        try:
            self._record(results)
        except Exception:
            # Keep the results for the next try rather than leave their rows `sending` until a restart.
            with self._results_lock:
                self._results[:0] = results
            raise
        with self._results_lock:
            self._unsettled -= len(results)
        if self._probing and any(r.status == "sent" for r in results):
            self._resume()  # the restriction is over: everyone may send again
        elif self._probing and not any(r.status == "requeue" for r in results):
            self._probing = False  # the probe ended otherwise (that person, that message): probe again next time
            self._rechecked_at = 0.0
        for r in results:
            if r.status not in ("sent", "requeue"):
                log_event(log, "outbox.not_sent", logging.WARNING, outbox_id=r.row.id, status=r.status, error=r.error)

    def _record(self, results: list[_Result]) -> None:
        now = time.time()
        unreachable: list[tuple[str, float, str]] = []
        with self.store.write() as conn:
            for r in results:
                if r.status == "sent":
                    conn.execute(
                        "UPDATE outbox SET status = 'sent', finished_at = ?, message_id = ?, attempts = attempts + 1, "
                        "error = NULL WHERE id = ?", (now, r.message_id, r.row.id))
                elif r.status == "requeue":  # not attempted (paused for the token)
                    conn.execute("UPDATE outbox SET status = 'queued', claimed_by = NULL WHERE id = ?", (r.row.id,))
                elif r.status == "retry":
                    if r.row.attempts + 1 >= MAX_ATTEMPTS:
                        conn.execute(
                            "UPDATE outbox SET status = 'failed', finished_at = ?, attempts = attempts + 1, error = ? "
                            "WHERE id = ?", (now, f"gave up after {MAX_ATTEMPTS} attempts: {r.error}", r.row.id))
                    else:
                        conn.execute(
                            "UPDATE outbox SET status = 'queued', claimed_by = NULL, attempts = attempts + 1, "
                            "next_attempt_at = ?, error = ? WHERE id = ?", (now + r.delay, r.error, r.row.id))
                else:
                    conn.execute(
                        "UPDATE outbox SET status = ?, finished_at = ?, attempts = attempts + 1, error = ? WHERE id = ?",
                        (r.status, now, r.error, r.row.id))
                    if r.status in (graph.USER_UNAVAILABLE, graph.NO_MATCHING_USER) and r.row.psid:
                        unreachable.append((r.status, now, r.row.psid))
                    if r.refused:
                        self._alert_refusal(conn, r, now)
            conn.executemany("UPDATE users SET unreachable = ?, unreachable_at = ? WHERE psid = ?", unreachable)

    def _alert_refusal(self, conn, r: _Result, now: float) -> None:
        """Facebook refused a tag or a template: stop using that template, tell the operators (once an hour)."""
        if r.row.utility:
            utility_messages.mark_refused(conn, r.row.utility["name"], r.row.utility["language"], r.error or "")
            subject = f"{r.row.utility['name']}:{r.row.utility['language']}"
        else:
            subject = f"tag:{r.row.body.get('tag')}"
        key = f"refused:{subject}:{int(now // 3600)}"
        if alerts.record(conn, "facebook_refused", key, r.error or "", now):
            log_event(log, "alert.facebook_refused", logging.ERROR, subject=subject, error=r.error)
            text = f"⚠️ Facebook refused a message ({subject}): {r.error[:300]}\nRun: flask --app app templates sync"
            enqueue(conn, None, [Outgoing(Text(text), recipient={"id": m}, intent="UPDATE", dedup_key=f"{key}:{m}")
                                 for m in sorted(self.moderators)], now=now)
