"""The outbox's sender: delivers queued rows (bot/messenger/outbox.py, whose docstring has the rules) at most
SEND_RATE a second, all processes together (a token bucket in `rate_limits`, which this module owns).

Facebook's answers decide what comes next: temporary errors and timeouts are retried with backoff and jitter;
throttling makes every sender wait; an invalid token or a restricted Page pauses all sending until a check goes
through; a refused tag or template is final, with an operator alert (bot/messenger/alerts.py).
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

from ..lease import owner_gone
from ..logs import event as log_event
from ..store import Store, ensure_table, put_state, read_state
from . import alerts, graph, outbox, people
from .graph import GraphClient, GraphError

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 8
CLAIM_BATCH = 16  # rows a sender claims at a time
SETTLE_BATCH = 32  # results recorded in one transaction when sends are plentiful
PAUSE_KEY = "sender_paused"  # JSON {"since", "reason", "kind": "token" | "restricted"}
THROTTLE_KEY = "sender_throttled_until"
PAUSE_REASONS = {
    "token": "sending paused: the Page access token is invalid or expired",
    "restricted": "sending paused: Facebook has temporarily restricted the Page from sending messages (error 10/1893063)",
}


def schema(db) -> None:
    ensure_table(db, "rate_limits", {"name": str, "tokens": float, "updated_at": float}, pk="name")


def declare(privacy) -> None:
    privacy.not_personal("rate_limits", why="the shared send-rate token bucket")


def pause_kind(value: str) -> str:
    """"token" or "restricted", from the PAUSE_KEY state."""
    try:
        return json.loads(value).get("kind") or "token"
    except (ValueError, AttributeError):
        return "token"


def pause_reason(value: str | None) -> str | None:
    """Why sending is paused, for people, from the PAUSE_KEY state (None: it is not)."""
    return None if value is None else PAUSE_REASONS.get(pause_kind(value), PAUSE_REASONS["token"])


def paused(conn) -> str | None:
    """Why sending is paused now, or None."""
    return pause_reason(read_state(conn, PAUSE_KEY).get(PAUSE_KEY))


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

    The lease holder runs it, but two senders overlapping during a takeover stay correct: claims mark rows
    `sending` with their process as owner (a restart requeues only what a dead process held), and the rate, a
    pause and a throttling cooldown are shared through the database."""

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
        # Rows claimed whose result is not in the database yet (in flight or awaiting _settle). Claims are bounded by
        # this, not by requests in flight: a kill -9 re-sends at most `concurrency` messages, as outbox.py promises.
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

    def deliver_due(self) -> int:
        """Send what is due now from this thread, without the sender's threads (the in-process conversation
        fixture): the same claims, rules and records as the threaded loop. Returns how many rows were sent."""
        total = 0
        while not self._shared_flags()[0]:
            claimed, wait = self._claim(CLAIM_BATCH)
            for row in claimed:
                self._dispatch(row, inline=True)
            self._settle()
            total += len(claimed)
            if not claimed and wait:  # nothing due, or the rate's tokens are spent
                break
        return total

    @property
    def alive(self) -> bool:
        return bool(self._thread and self._thread.is_alive())

    def recover(self) -> int:
        """Requeue rows left `sending` by a process that is gone (an earlier life of this one included): such a row
        may or may not have reached Facebook (bot/messenger/outbox.py), it goes again."""
        now = time.time()
        self._recovered_at = now
        owners = outbox.sending_owners(self.store.conn)
        # Never our own rows: they are in flight right now (our owner string is new with every start).
        dead = [o for o in owners if o != self.owner and (o is None or owner_gone(o, self.owner))]
        requeued = 0
        with self.store.write() as conn:
            for owner in dead:
                requeued += outbox.requeue_claims(conn, owner)
            # A claim another process has not settled in 10 minutes is lost (a hung process, another host).
            requeued += outbox.requeue_stale_claims(conn, now - 600, self.owner)
        if requeued:
            log_event(log, "outbox.requeued_after_crash", logging.WARNING, rows=requeued)
        return requeued

    # -- shared flags -----------------------------------------------------------------------------------
    def _shared_flags(self) -> tuple[bool, float]:
        """(paused for a bad token or a restricted Page, throttled until) as every process sees them."""
        rows = read_state(self.store.conn, PAUSE_KEY, THROTTLE_KEY)
        if PAUSE_KEY in rows:
            self._pause_kind = pause_kind(rows[PAUSE_KEY])
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
        if not outbox.any_due(conn, now):
            return [], 0.02 if self._in_flight else 0.05
        claimed: list[_Claimed] = []
        settled = 0
        with self.store.write() as conn:
            bucket = conn.execute("SELECT tokens, updated_at FROM rate_limits WHERE name = 'send'").fetchone()
            tokens = self.burst if bucket is None else min(self.burst, bucket[0] + (now - bucket[1]) * self.rate)
            allowed = min(limit, int(tokens))
            if allowed < 1:
                return [], (1 - tokens) / self.rate
            for row in outbox.first_in_line(conn, now, allowed):
                body, utility, why_not = outbox.what_to_send(conn, row, now)
                if body is None:
                    outbox.outside_window(conn, row["id"], now, why_not)
                    settled += 1
                    continue
                outbox.claim(conn, row["id"], self.owner, now, outbox.sent_as(body, utility))
                claimed.append(_Claimed(row["id"], row["recipient_key"], row["psid"], body, row["attempts"], utility))
            conn.execute(
                "INSERT INTO rate_limits (name, tokens, updated_at) VALUES ('send', ?, ?) "
                "ON CONFLICT(name) DO UPDATE SET tokens = excluded.tokens, updated_at = excluded.updated_at",
                (tokens - len(claimed), now),
            )
        if settled:
            self._wake.set()  # settled rows may have unblocked later rows for the same people
        return claimed, 0.0 if settled else 0.02

    def _dispatch(self, row: _Claimed, inline: bool = False) -> None:
        with self._results_lock:
            self._in_flight += 1
            self._unsettled += 1
        if inline:
            self._send(row)
        else:
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
                put_state(conn, key, value, keep_larger=keep_larger)
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
                    outbox.sent(conn, r.row.id, now, r.message_id)
                elif r.status == "requeue":  # not attempted (paused for the token)
                    outbox.requeue(conn, r.row.id)
                elif r.status == "retry":
                    if r.row.attempts + 1 >= MAX_ATTEMPTS:
                        outbox.finish(conn, r.row.id, "failed", now, f"gave up after {MAX_ATTEMPTS} attempts: {r.error}")
                    else:
                        outbox.retry_at(conn, r.row.id, now + r.delay, r.error)
                else:
                    outbox.finish(conn, r.row.id, r.status, now, r.error)
                    if r.status in (graph.USER_UNAVAILABLE, graph.NO_MATCHING_USER) and r.row.psid:
                        unreachable.append((r.status, now, r.row.psid))
                    if r.refused:
                        alerts.facebook_refused(conn, r.row.utility, r.row.body.get("tag"), r.error or "",
                                                self.moderators, now)
            people.unreachable(conn, unreachable)
