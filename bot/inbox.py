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

import logging
import queue
import sqlite3
import threading
import time
import zlib
from concurrent.futures import ThreadPoolExecutor, wait
from typing import Callable

from .messenger import outbox
from .config import Settings
from .content import Content
from .dispatcher import Context, Dispatcher, User
from .messenger.events import INTERACTION_KINDS, SILENT_KINDS, Event, InboxRow
from .messenger.graph import GraphClient, GraphError
from .logs import event as log_event
from .messenger.replies import Text
from .store import Store, ensure_table

log = logging.getLogger(__name__)

BATCH = 64
CONTENT_VERSION_KEY = "content_version"
TRANSACTION_BUDGET = 0.002  # seconds of handler work per write transaction
PROFILE_TIMEOUT = 2.0
PROFILE_RETRY_AFTER = 3600.0
MESSAGING_KINDS = INTERACTION_KINDS | {"echo", "delivery", "read", "reaction", "account_linking"}


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

    def staged_count(self) -> int:
        return self.staging.conn.execute("SELECT count(*) FROM incoming").fetchone()[0]

    # -- lifecycle (the leader process) -----------------------------------------------------------------
    def start(self) -> None:
        self._stop.clear()
        self.content.version = self.store.get_state(CONTENT_VERSION_KEY)
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
    def refresh_content(self) -> None:
        """Reload the content when `flask reload-content` has announced a new version (checked each second)."""
        wanted = self.store.get_state(CONTENT_VERSION_KEY)
        if wanted == self.content.version:
            return
        try:
            self.content.load()
            log_event(log, "content.reloaded", version=wanted)
        except Exception as exc:  # keep serving what was live; say why once
            log_event(log, "content.reload_failed", logging.ERROR, version=wanted, error=str(exc))
        self.content.version = wanted

    def _fetch_loop(self) -> None:
        checked_content = 0.0
        while not self._stop.is_set():
            if time.time() - checked_content > 1.0:
                checked_content = time.time()
                try:
                    self.refresh_content()
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
        self._fetch_profiles({r["psid"] for r in rows if r["kind"] in INTERACTION_KINDS and not self._not_ours(r)})
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
            conn.execute(
                "INSERT INTO users (psid, first_seen, last_seen, last_interaction_at, language) "
                "VALUES (?, ?, ?, ?, 'th') ON CONFLICT(psid) DO UPDATE SET last_seen = max(last_seen, excluded.last_seen), "
                "last_interaction_at = CASE WHEN excluded.last_interaction_at IS NULL THEN last_interaction_at "
                "ELSE max(coalesce(last_interaction_at, 0), excluded.last_interaction_at) END, "
                "unreachable = CASE WHEN excluded.last_interaction_at IS NULL THEN unreachable END",
                (event.psid, now, now, interaction),
            )
            user = User.from_row(conn.execute("SELECT * FROM users WHERE psid = ?", (event.psid,)).fetchone(), event.psid)
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

    # -- user profiles ----------------------------------------------------------------------------------
    def _fetch_profiles(self, psids: set[str]) -> None:
        """Ask Facebook once for each new person's name and locale, in parallel, before the transaction."""
        if not psids:
            return
        marks = ",".join("?" * len(psids))
        known = {
            r["psid"]: r for r in self.store.conn.execute(
                f"SELECT psid, profile_status, profile_checked_at FROM users WHERE psid IN ({marks})", list(psids))
        }
        now = time.time()
        wanted = [
            p for p in psids
            if p not in known or known[p]["profile_status"] is None
            or (known[p]["profile_status"] == "failed" and now - (known[p]["profile_checked_at"] or 0) > PROFILE_RETRY_AFTER)
        ]
        if not wanted:
            return
        pool = self._profiles or ThreadPoolExecutor(max_workers=4)
        futures = {pool.submit(self._profile, p): p for p in wanted}
        done, _ = wait(futures, timeout=PROFILE_TIMEOUT + 1)
        results = []
        for future, psid in futures.items():
            profile = future.result() if future in done else None
            results.append((psid, profile))
        with self.store.write() as conn:
            for psid, profile in results:
                conn.execute(
                    "INSERT INTO users (psid, first_seen, last_seen, language) VALUES (?, ?, ?, 'th') "
                    "ON CONFLICT(psid) DO NOTHING", (psid, now, now))
                if profile is None:
                    conn.execute("UPDATE users SET profile_status = 'failed', profile_checked_at = ? WHERE psid = ?",
                                 (now, psid))
                    continue
                locale = profile.get("locale") if isinstance(profile.get("locale"), str) else None
                language = None
                if locale:
                    language = "th" if locale.lower().startswith("th") else "en"
                conn.execute(
                    "UPDATE users SET profile_status = 'ok', profile_checked_at = ?, first_name = ?, last_name = ?, "
                    "locale = ?, language = CASE WHEN language_source = 'user' OR ? IS NULL THEN language ELSE ? END, "
                    "language_source = coalesce(language_source, CASE WHEN ? IS NULL THEN NULL ELSE 'profile' END) "
                    "WHERE psid = ?",
                    (now, _name(profile.get("first_name")), _name(profile.get("last_name")), locale,
                     language, language, language, psid),
                )
        if self._profiles is None:
            pool.shutdown(wait=False)

    def _profile(self, psid: str) -> dict | None:
        try:
            return self.client.user_profile(psid, timeout=PROFILE_TIMEOUT)
        except GraphError as exc:
            log_event(log, "profile.unavailable", logging.INFO, error=str(exc))
            return None


def _name(value: object) -> str | None:
    return value.strip()[:100] if isinstance(value, str) and value.strip() else None
