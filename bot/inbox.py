"""The inbox: events Facebook delivered, stored before the 200, handled afterwards by worker threads.

Staging: the webhook writes to a small database of its own (`<database>.ingest.sqlite3`, table `incoming`),
so acknowledging Facebook never waits for the write lock of the main database, which the workers hold while
they handle events. The lease holder moves staged events into the main `inbox` in the order they came
(idempotently: a moved event is keyed by its `dedup_key` there too) and deletes them from staging.

Ordering: a fetcher thread reads pending events in arrival order and gives each to the worker that owns its
sender (a stable hash of the PSID), so one person's events are handled one at a time, in order, while other
people's run in parallel.

Exactly once: a worker handles a batch of events in one write transaction, each event inside its own
savepoint. Marking the event done, the handler's own writes and the replies it queued in the outbox commit
together; a crash before the commit leaves the event pending and nothing queued, so after a restart it is
handled again from scratch and its replies are queued once.
"""
from __future__ import annotations

import json
import logging
import queue
import sqlite3
import threading
import time
import zlib
from concurrent.futures import ThreadPoolExecutor
from typing import Callable

from .config import Settings
from .content import Content
from .dispatcher import Context, Dispatcher
from .messenger import outbox, people
from .messenger.events import INTERACTION_KINDS, SILENT_KINDS, Event, InboxRow
from .messenger.graph import GraphClient
from .messenger.people import User
from .messenger.replies import Text
from .privacy import ERASED
from .store import Store, ensure_table

log = logging.getLogger(__name__)

BATCH = 64
TRANSACTION_BUDGET = 0.002  # seconds of handler work per write transaction
MESSAGING_KINDS = INTERACTION_KINDS | {"echo", "delivery", "read", "reaction", "account_linking"}


def schema(db) -> None:
    """The main database's `inbox`: every event ever delivered (until the retention), and what became of it."""
    ensure_table(
        db, "inbox",
        {
            "id": int,
            "dedup_key": str,
            "psid": str,
            "kind": str,
            "event": str,  # the event's JSON exactly as Facebook sent it (re-serialised compactly)
            "occurred_at": float,
            "received_at": float,
            "status": str,  # pending | done | failed | ignored (for another Page, or the Page's own action)
            "deliveries": int,  # how often Facebook delivered it (redeliveries are counted, not stored again)
            "handled_at": float,
            "error": str,  # why it failed, or why it was ignored
            "page_id": str,  # the Page it was for (the webhook entry's id)
        },
        pk="id",
        not_null={"dedup_key", "psid", "kind", "event", "received_at", "status"},
        defaults={"status": "pending", "deliveries": 1},
    )
    db.execute("CREATE UNIQUE INDEX IF NOT EXISTS inbox_dedup ON inbox(dedup_key)")
    db.execute("CREATE INDEX IF NOT EXISTS inbox_pending ON inbox(id) WHERE status = 'pending'")
    db.execute("CREATE INDEX IF NOT EXISTS inbox_psid ON inbox(psid, id)")


def staging_schema(db) -> None:
    """The webhook's own small database: events waiting to be moved into the main inbox."""
    ensure_table(
        db, "incoming",
        {"id": int, "dedup_key": str, "psid": str, "kind": str, "event": str, "occurred_at": float,
         "received_at": float, "deliveries": int, "page_id": str},
        pk="id", not_null={"dedup_key", "psid", "kind", "event", "received_at"}, defaults={"deliveries": 1},
    )
    db.execute("CREATE UNIQUE INDEX IF NOT EXISTS incoming_dedup ON incoming(dedup_key)")


def stage_rows(conn: sqlite3.Connection, rows: list[InboxRow], now: float) -> int:
    """Stage a webhook's events; a redelivery only bumps its count. Returns how many were new."""
    new = 0
    for row in rows:
        delivered = conn.execute(
            "INSERT INTO incoming (dedup_key, psid, kind, event, occurred_at, received_at, page_id) "
            "VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT(dedup_key) DO UPDATE SET deliveries = deliveries + 1 RETURNING deliveries",
            (row.dedup_key, row.psid, row.kind, row.event, row.occurred_at, now, row.page_id or None),
        ).fetchone()[0]
        new += delivered == 1
    return new


def insert_rows(conn: sqlite3.Connection, rows: list, now: float) -> None:
    """Move staged rows into the inbox; an event already there (redelivered later) only adds to its count."""
    for row in rows:
        status = "done" if row["kind"] in SILENT_KINDS else "pending"  # kept for the record, never answered
        conn.execute(
            "INSERT INTO inbox (dedup_key, psid, kind, event, occurred_at, received_at, status, handled_at, deliveries, "
            "page_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
            "ON CONFLICT(dedup_key) DO UPDATE SET deliveries = deliveries + excluded.deliveries",
            (row["dedup_key"], row["psid"], row["kind"], row["event"], row["occurred_at"], row["received_at"], status,
             now if status == "done" else None, row["deliveries"], row["page_id"]),
        )


class Inbox:
    def __init__(self, store: Store, staging: Store, dispatcher: Dispatcher, content: Content, settings: Settings,
                 client: GraphClient, on_queued: Callable[[], None]):
        self.store = store
        self.staging = staging
        self.dispatcher = dispatcher
        self.content = content
        self.settings = settings
        self.client = client
        self.on_queued = on_queued
        self.workers = settings.inbox_workers
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._queues: list[queue.Queue] = []
        self._assigned: set[int] = set()
        self._assigned_lock = threading.Lock()
        self._threads: list[threading.Thread] = []
        self._profiles: ThreadPoolExecutor | None = None
        # Our Page's id (PAGE_ID, or learned with GET /me by the runtime): events for another Page, and what the
        # Page itself did, are kept for the record and never answered. None while unknown.
        self.page_id: str | None = settings.page_id

    # -- ingest (any process) ---------------------------------------------------------------------------
    def accept(self, rows: list[InboxRow], now: float) -> int:
        """Store a webhook's events in one transaction (called before the 200). Returns how many are new work."""
        with self.staging.write() as conn:
            return stage_rows(conn, rows, now)

    def move_staged(self, limit: int = 2000) -> int:
        """Move the oldest staged events into the inbox (the lease holder's job). Returns how many."""
        rows = self.staging.conn.execute("SELECT * FROM incoming ORDER BY id LIMIT ?", (limit,)).fetchall()
        if not rows:
            return 0
        with self.store.write() as conn:
            insert_rows(conn, rows, time.time())
        # A redelivery may have bumped a count since we read it: subtract what moved, keep any remainder
        # (moved and added next time), delete what is fully moved.
        with self.staging.write() as conn:
            conn.executemany("UPDATE incoming SET deliveries = deliveries - ? WHERE id = ?",
                             [(r["deliveries"], r["id"]) for r in rows])
            conn.execute("DELETE FROM incoming WHERE id <= ? AND deliveries <= 0", (rows[-1]["id"],))
        return len(rows)

    def handle_now(self) -> int:
        """Move what the webhook staged and handle every pending event in this thread, in order, as the workers
        would (the in-process conversation fixture; no worker thread runs). Returns how many were handled."""
        self.move_staged()
        ids = [r[0] for r in self.store.conn.execute("SELECT id FROM inbox WHERE status = 'pending' ORDER BY id")]
        return self.handle_batch(ids) if ids else 0

    def staged_count(self) -> int:
        return self.staging.conn.execute("SELECT count(*) FROM incoming").fetchone()[0]

    # -- lifecycle (the leader process) -----------------------------------------------------------------
    def start(self) -> None:
        self._stop.clear()
        self.content.version = self.content.announced(self.store)
        self._queues = [queue.Queue() for _ in range(self.workers)]
        self._assigned = set()
        self._profiles = ThreadPoolExecutor(max_workers=16, thread_name_prefix="profile")
        self._threads = [threading.Thread(target=self._fetch_loop, name="inbox-fetch", daemon=True)]
        self._threads += [
            threading.Thread(target=self._work_loop, args=(q,), name=f"inbox-worker-{i}", daemon=True)
            for i, q in enumerate(self._queues)
        ]
        for thread in self._threads:
            thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        self._wake.set()
        for thread in self._threads:
            thread.join(timeout)
        if self._profiles:
            self._profiles.shutdown(wait=False, cancel_futures=True)

    def wake(self) -> None:
        self._wake.set()

    @property
    def alive(self) -> bool:
        return bool(self._threads) and all(t.is_alive() for t in self._threads)

    # -- fetcher ----------------------------------------------------------------------------------------
    def _fetch_loop(self) -> None:
        checked_content = 0.0
        while not self._stop.is_set():
            if time.time() - checked_content > 1.0:
                checked_content = time.time()
                try:
                    self.content.refresh(self.store)
                except sqlite3.Error:
                    log.exception("content.version_unreadable")
            try:
                found = self.move_staged() + self._fetch()
            except sqlite3.Error:
                log.exception("inbox.fetch_error")
                found = 0
            if not found:
                # Events stored by another process cannot set our Event: poll briefly as well.
                self._wake.wait(0.02)
                self._wake.clear()

    def _fetch(self) -> int:
        rows = self.store.conn.execute(
            "SELECT id, psid FROM inbox WHERE status = 'pending' ORDER BY id LIMIT 5000"
        ).fetchall()
        found = 0
        with self._assigned_lock:
            for inbox_id, psid in rows:
                if inbox_id in self._assigned:
                    continue
                self._assigned.add(inbox_id)
                self._queues[zlib.crc32(psid.encode()) % self.workers].put(inbox_id)
                found += 1
        return found

    # -- workers ----------------------------------------------------------------------------------------
    def _work_loop(self, work: queue.Queue) -> None:
        while not self._stop.is_set():
            try:
                ids = [work.get(timeout=0.2)]
            except queue.Empty:
                continue
            while len(ids) < BATCH:
                try:
                    ids.append(work.get_nowait())
                except queue.Empty:
                    break
            self._handle_until_done(ids)

    def _handle_until_done(self, ids: list[int]) -> None:
        delay = 0.05
        while not self._stop.is_set():
            try:
                self.handle_batch(ids)
                break
            except sqlite3.Error:
                # Database busy or failing: nothing committed, so try the same batch again (order kept).
                log.exception("inbox.batch_retry")
                self._stop.wait(delay)
                delay = min(delay * 2, 5.0)
        with self._assigned_lock:
            self._assigned.difference_update(ids)

    def handle_batch(self, ids: list[int]) -> int:
        """Handle these inbox events (pending ones only) in one transaction. Returns how many were handled."""
        placeholders = ",".join("?" * len(ids))
        rows = self.store.conn.execute(
            f"SELECT id, psid, kind, event, occurred_at, page_id FROM inbox WHERE id IN ({placeholders}) "
            "AND status = 'pending' ORDER BY id", ids,
        ).fetchall()
        if not rows:
            return 0
        people.fetch_profiles(self.store, self.client, {r["psid"] for r in rows
                                                        if r["kind"] in INTERACTION_KINDS and not self._not_ours(r)},
                              self._profiles)
        handled = queued = 0
        while handled < len(rows):
            # Short transactions: the webhook waits for the same write lock, and Facebook waits for the webhook.
            with self.store.write() as conn:
                started = time.perf_counter()
                while handled < len(rows):
                    queued += self._handle_one(conn, rows[handled])
                    handled += 1
                    if time.perf_counter() - started > TRANSACTION_BUDGET:
                        break
        if queued:
            self.on_queued()
        return handled

    def _not_ours(self, row: sqlite3.Row) -> str | None:
        """Why this event must not be answered, or None: it is for another Page subscribed to the same app, or it is
        something our Page itself did (its comments and replies, its reactions). The Page is never a citizen."""
        page_id, entry_page = self.page_id, row["page_id"]
        if page_id and entry_page and entry_page != page_id:
            return f"for another Page ({entry_page})"
        if row["psid"] in {page_id, entry_page} - {None, ""}:  # the entry names the Page even before we know it
            return "the Page's own action"
        return None

    def _handle_one(self, conn: sqlite3.Connection, row: sqlite3.Row) -> int:
        now = time.time()
        ignored = self._not_ours(row)
        if ignored:
            # Kept for the record (the inbox has it), never answered, and no person's window opened by it.
            conn.execute("UPDATE inbox SET status = 'ignored', handled_at = ?, error = ? WHERE id = ?",
                         (now, ignored, row["id"]))
            return 0
        event = Event.from_row(row["id"], row["psid"], row["kind"], row["event"], row["occurred_at"] or now,
                               row["page_id"])
        if event.kind in MESSAGING_KINDS:
            interaction = min(event.timestamp, now) if event.kind in INTERACTION_KINDS else None
            user = people.seen(conn, event.psid, now, interaction)
        else:
            user = User(psid=event.psid)
        ctx = Context(event=event, user=user, conn=conn, settings=self.settings, content=self.content,
                      dispatcher=self.dispatcher, now=now)
        try:
            with self.store.savepoint("event"):
                replies = self.dispatcher.dispatch(ctx)
                queued = outbox.enqueue(conn, event.psid, [*replies, *ctx.extra], intent="RESPONSE",
                                        source_event_id=event.inbox_id, now=now)
                conn.execute("UPDATE inbox SET status = 'done', handled_at = ? WHERE id = ?", (now, event.inbox_id))
            return queued
        except sqlite3.OperationalError:
            raise  # the database itself: retry the whole batch
        except Exception as exc:
            # A handler bug: record it, apologise, and move on. Retrying the same code would fail the same way.
            log.exception("inbox.handler_error", extra={"fields": {"inbox_id": event.inbox_id, "kind": event.kind}})
            apology = []
            if event.kind in ("message", "postback"):
                apology = [Text(ctx.t("error"), quick_replies=ctx.menu())]
            queued = outbox.enqueue(conn, event.psid, apology, source_event_id=event.inbox_id, now=now)
            conn.execute(
                "UPDATE inbox SET status = 'failed', handled_at = ?, error = ? WHERE id = ?",
                (now, f"{type(exc).__name__}: {exc}"[:500], event.inbox_id),
            )
            return queued


# -- what the inbox tells others -------------------------------------------------------------------------------
def pending(conn: sqlite3.Connection) -> int:
    return conn.execute("SELECT count(*) FROM inbox WHERE status = 'pending'").fetchone()[0]


def history(conn: sqlite3.Connection, psid: str, limit: int) -> list[sqlite3.Row]:
    """What the person sent (messages and taps), newest first: (kind, event as JSON, received_at)."""
    return conn.execute("SELECT kind, event, received_at FROM inbox WHERE psid = ? AND kind IN ('message', 'postback') "
                        "ORDER BY id DESC LIMIT ?", (psid, limit)).fetchall()


def last_messages(conn: sqlite3.Connection, psid: str, before: int | None = None, limit: int = 1) -> list[dict]:
    """The person's latest `message` events (before the inbox row `before`), newest first, parsed."""
    return [json.loads(r[0]) for r in conn.execute(
        "SELECT event FROM inbox WHERE psid = ? AND kind = 'message' AND id < ? ORDER BY id DESC LIMIT ?",
        (psid, before if before is not None else 2**63 - 1, limit))]


def events_of_sql(psid_param: str, key_param: str) -> str:
    """The inbox ids of a person's events (under their PSID or their pseudonym), as an SQL subquery."""
    return f"SELECT id FROM inbox WHERE psid IN ({psid_param}, {key_param})"


# -- personal data (bot/privacy.py) -------------------------------------------------------------------------------
def erase(conn: sqlite3.Connection, person) -> int:
    """What they sent: the inbox keeps that an event happened (counts, de-duplication), not what it said nor
    whose it was (the PSID becomes the person's pseudonym, in the de-duplication key too). Events still waiting
    to be handled (sent after this request) are left to be answered."""
    return conn.execute(
        "UPDATE inbox SET event = :erased, error = NULL, psid = :key, dedup_key = replace(dedup_key, :psid, :key) "
        "WHERE psid = :psid AND (status != 'pending' OR id = :current)",
        {"erased": ERASED, "psid": person.psid, "key": person.key(), "current": person.inbox_id}).rowcount


def show(conn: sqlite3.Connection, person, words) -> list[str]:
    """How many messages and taps of the person's are kept, since when."""
    count, first = conn.execute("SELECT count(*), min(received_at) FROM inbox WHERE psid = ?", (person.psid,)).fetchone()
    return [words.t("data_inbox", count=count, since=words.when(first))] if count else []


def purge(conn: sqlite3.Connection, cutoff: float, limit: int | None) -> int:
    return conn.execute("DELETE FROM inbox WHERE id IN (SELECT id FROM inbox WHERE received_at < ? "
                        "AND status != 'pending' LIMIT ?)", (cutoff, -1 if limit is None else limit)).rowcount


def declare(privacy) -> None:
    privacy.personal("inbox", erase=erase, purge=purge, show=show)
    privacy.personal("incoming", database="staging",
                     why="the webhook's events for a second, until the lease holder moves them into the inbox and "
                         "deletes them (zeroed by secure_delete; erasure's scrub truncates this WAL too)")


def received_times(conn: sqlite3.Connection, since: float, limit: int = 50_000) -> list[float]:
    """When each of the last `limit` events received since `since` arrived: the dashboard's messages per minute.
    Read backwards from the newest id, so the cost is bounded whatever the inbox holds."""
    return [r[0] for r in conn.execute("SELECT received_at FROM (SELECT received_at FROM inbox ORDER BY id DESC LIMIT ?) "
                                       "WHERE received_at >= ?", (limit, since))]
