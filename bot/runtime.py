"""The bot's moving parts in one object, kept on the Flask app (bot/web.py: `runtime()` reaches it).

Every web process accepts webhooks. The process that holds the `runner` lease also runs the background
services: the inbox workers (one person's events in order, one at a time), the outbox sender and whatever
features add (the scheduler). Under gunicorn a dedicated runner process (`flask --app app worker`, started by
gunicorn.conf.py at a lower CPU priority) takes the lease, so that acknowledging Facebook never waits behind
sending; the web workers only stand by to take over if it dies. `python app.py` does everything in one
process. `start()` is idempotent and cheap, so the WSGI entry points and a first-request safety net may all
call it.
"""
from __future__ import annotations

import logging
import threading
import time
from typing import Callable, Protocol

from . import form_state, inbox, lease, public_screens
from . import store as state
from .config import Settings
from .content import Content
from .dispatcher import Dispatcher
from .forms import Forms
from .inbox import Inbox
from .job_queue import JobQueue
from .lease import Lease
from .logs import event as log_event
from .messenger import alerts, outbox, people, sender, utility_messages
from .messenger.graph import GraphClient, GraphError
from .messenger.sender import PAUSE_KEY, OutboxSender
from .privacy import PersonalData
from .public_screens import ScreenRegistry
from .store import Store
from .understanding import embedding, preload

log = logging.getLogger(__name__)
PAGE_ID_KEY = "page_id"


class Service(Protocol):
    def start(self) -> None: ...
    def stop(self) -> None: ...


class Checkpointer:
    """Keeps the SQLite WAL short: a passive checkpoint every second, off every request's path; then runs
    `after` (the WAL scrub an erasure asks for, see bot/privacy.py)."""

    def __init__(self, *stores: Store, every: float = 1.0, after: Callable[[], object] | None = None):
        self.stores, self.every, self.after = stores, every, after
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="wal-checkpoint", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread:
            self._thread.join(5)

    def _run(self) -> None:
        while not self._stop.wait(self.every):
            try:
                for store in self.stores:
                    store.checkpoint()
                if self.after is not None:
                    self.after()
            except Exception:
                log.exception("store.checkpoint_failed")


class BotRuntime:
    lease_ttl = 15.0

    def __init__(self, settings: Settings, store: Store, staging: Store, content: Content, dispatcher: Dispatcher,
                 client: GraphClient):
        self.settings = settings
        self.store = store
        self.staging = staging
        self.content = content
        self.dispatcher = dispatcher
        self.client = client
        self.lease = Lease(store, "runner", ttl=self.lease_ttl)
        self.sender = OutboxSender(store, client, settings.send_rate, settings.effective_send_concurrency,
                                   owner=self.lease.owner, token_recheck_seconds=settings.token_recheck_seconds,
                                   moderators=settings.moderator_psids)
        self.inbox = Inbox(store, staging, dispatcher, content, settings, client, on_queued=self.sender.wake)
        self.forms = Forms(dispatcher)  # multi-step forms features add (registration); their one handler
        self.jobs = JobQueue(settings.tz)  # the one scheduler; features add their jobs when their service starts
        # What every table keeps about people: features declare theirs (bot/privacy.py).
        self.privacy = PersonalData(settings.pseudonym_key, settings.retention_days)
        # What the engine's and the platform's own tables keep about people (their migrations: bot/domain/migrations.py).
        people.declare(self.privacy)
        inbox.declare(self.privacy)
        outbox.declare(self.privacy, inbox.events_of_sql(":psid", ":key"))
        for owner in (lease, state, sender, alerts, utility_messages, public_screens, form_state):
            owner.declare(self.privacy)
        state.declare(self.privacy, database="staging")
        # The content the engine itself reads: the understanding step's labels, the utility message templates.
        content.add_loader("understanding", lambda directory: preload.load(directory, settings.understanding,
                                                                           settings.model_cache_dir))
        content.add_loader("message_templates", utility_messages.MessageTemplates.load)
        self.services: list[Service] = [  # features add theirs (reminders, ...)
            Checkpointer(store, staging, after=lambda: self.privacy.scrub_if_requested(store, staging)),
            preload.Preloader(self)]
        self.commands: list = []  # click commands features add to `flask --app app ...`
        self.blueprints: list = []  # web pages features add (the calendar feed)
        self.screens = ScreenRegistry()  # public screens features add (poll results), served by bot/public_server.py
        self.leading = False
        self.started = False
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._coordinator: threading.Thread | None = None
        self.fake_graph = None  # the local-mode fake server, when this runtime started one

    # -- lifecycle --------------------------------------------------------------------------------------
    def start(self, standby_grace: float = 0.0) -> None:
        """Start competing for the lease (after `standby_grace` seconds: web workers leave it to the runner)."""
        with self._lock:
            if self.started:
                return
            self.started = True
            self._stop.clear()
            self._coordinator = threading.Thread(target=self._coordinate, args=(standby_grace,),
                                                 name="runtime-coordinator", daemon=True)
            self._coordinator.start()

    def close(self) -> None:
        """Close the databases (after stop())."""
        self.store.close()
        self.staging.close()

    def wait_until_leading(self, timeout: float = 10.0) -> bool:
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.leading:
                return True
            time.sleep(0.01)
        return self.leading

    def stop(self) -> None:
        with self._lock:
            if not self.started:
                return
            self.started = False
            self._stop.set()
        if self._coordinator:
            self._coordinator.join(10)
        if self.leading:
            self._stop_services()
            try:
                self.lease.release()
            except Exception:
                log.exception("runtime.release_failed")
        if self.fake_graph is not None:
            self.fake_graph.stop()
            self.fake_graph = None

    def _coordinate(self, grace: float) -> None:
        if grace and self._stop.wait(grace):
            return
        while not self._stop.is_set():
            try:
                if self.leading:
                    if not self.lease.renew():
                        log_event(log, "runtime.lease_lost", logging.WARNING)
                        self._stop_services()
                elif self.lease.try_acquire():
                    self._start_services()
            except Exception:
                log.exception("runtime.coordinate_error")
            self._stop.wait(self.lease_ttl / 5)

    def _start_services(self) -> None:
        log_event(log, "runtime.leading", owner=self.lease.owner)
        self.learn_page_id()
        self.sender.start()
        self.inbox.start()
        self.jobs.start()
        for service in self.services:
            service.start()
        self.leading = True

    def _stop_services(self) -> None:
        self.leading = False
        for service in reversed(self.services):
            try:
                service.stop()
            except Exception:
                log.exception("runtime.service_stop_failed")
        self.jobs.stop()
        self.inbox.stop()
        self.sender.stop()

    def learn_page_id(self) -> str | None:
        """Which Page this bot is: PAGE_ID, or Facebook's answer to GET /me (kept in the database for the next start
        when Facebook cannot be asked). Said in the log at every start; the inbox uses it to leave alone events for
        other Pages and the Page's own actions."""
        page_id, name, source = self.settings.page_id, None, "PAGE_ID"
        if not page_id:
            try:
                me = self.client.page()
                page_id, name, source = str(me.get("id") or "") or None, me.get("name"), "GET /me"
                if page_id:
                    self.store.set_state(PAGE_ID_KEY, page_id)
            except GraphError as exc:
                page_id, source = self.store.get_state(PAGE_ID_KEY), "remembered from an earlier start"
                log_event(log, "runtime.page_unknown" if not page_id else "runtime.page_not_checked", logging.WARNING,
                          error=str(exc))
        self.inbox.page_id = page_id
        if page_id:
            log_event(log, "page", page_id=page_id, page_name=name, source=source)
        else:
            log_event(log, "page.unknown: set PAGE_ID; until then events for other Pages and the Page's own comments "
                      "cannot be told apart", logging.WARNING)
        return page_id

    # -- personal data ----------------------------------------------------------------------------------
    def purge(self, dry_run: bool = False, days: int | None = None, by: str = "cli") -> dict[str, int]:
        """Rows of personal data older than the retention (or `days`) removed, or with `dry_run` only counted, per
        table (bot/privacy.py); a real purge is logged as counts per table, never what the rows said."""
        counts = self.privacy.purge({"main": self.store, "staging": self.staging}, dry_run=dry_run, days=days)
        if not dry_run:
            removed = {table: n for table, n in counts.items() if n}
            log_event(log, "retention.purged", logging.INFO if removed else logging.DEBUG, by=by,
                      days=self.settings.retention_days if days is None else days, removed=removed,
                      total=sum(removed.values()))
        return counts

    # -- signals ----------------------------------------------------------------------------------------
    def wake_inbox(self) -> None:
        self.inbox.wake()

    def wake_sender(self) -> None:
        self.sender.wake()

    # -- health -----------------------------------------------------------------------------------------
    def health(self) -> tuple[bool, dict]:
        problems: list[str] = []
        report: dict = {"mode": "local" if self.settings.local_mode else "production"}
        try:
            conn = self.store.conn
            conn.execute("SELECT 1").fetchone()
            report["database"] = "ok"
            report["inbox_pending"] = inbox.pending(conn) + self.inbox.staged_count()
            report["outbox_queued"] = outbox.backlog(conn)
            report["outbox_failed_last_hour"] = outbox.failed_since(conn, time.time() - 3600)
            paused = self.store.get_state(PAUSE_KEY)
            holder = self.lease.holder()
            templates = self.content.loaded().get("message_templates")
            if templates is not None:
                report["message_templates"] = utility_messages.current(conn, templates)
                # Not a reason for a load balancer to take the bot out: it still answers; only the messages outside
                # the window that need this template are held back ("no approved template").
                report["warnings"] = [f"{utility_messages.NO_APPROVED_TEMPLATE} for {t['template']} ({t['language']}): "
                                      f"{t['name']} is {t['status']}" for t in report["message_templates"]
                                      if t["status"] != utility_messages.APPROVED]
            report["alerts_last_day"] = [dict(a) for a in alerts.recent(conn)]
        except Exception as exc:
            report["database"] = f"error: {type(exc).__name__}"
            return False, {**report, "status": "unhealthy", "problems": ["database unavailable"]}
        if paused:
            report["sender_paused"] = paused
            problems.append(sender.pause_reason(paused))
        report["leader"] = holder
        report["this_process_leads"] = self.leading
        # Only the process that answers loads the understanding step's model (web workers never need it).
        report["embedding_model_loaded"] = embedding.ENCODER.loaded
        if holder is None or holder["age"] > self.lease_ttl:
            problems.append("no process is running the workers")
        if self.leading:
            report["workers"] = {"inbox": self.inbox.alive, "sender": self.sender.alive}
            if not all(report["workers"].values()):
                problems.append("a worker thread has stopped")
        report["problems"] = problems
        report["status"] = "ok" if not problems else "unhealthy"
        return not problems, report
