"""The bot's conversation logic in this process, in milliseconds: the `chat` fixture (tests/conftest.py).

The same app as in production (create_app: the same handlers, forms, database file, understanding step), with
nothing started: an event goes the way the webhook sends it (split into inbox rows, staged, moved into the inbox),
is handled by the inbox's own `handle_batch` in this thread, and what it queued goes through the outbox's own
sender (`deliver_due`: the window, tag and template rules) to the fake Graph API, answered in this process too
(`InProcessGraph`: the same fake app, no socket). No thread, no port, no waiting for a reply to arrive.

It has the running bot's interface (`say`, `tap`, `answer`, `webhook.send`, `graph.messages`, `db`, ...), so a
conversation test runs on either; what needs HTTP, threads or processes (the signed webhook itself, crashes,
gunicorn, nginx, browsers, the sender's pacing and retries) stays on the running bot.
"""
from __future__ import annotations

import sqlite3
import time

from bot import web
from bot.messenger import simulator
from bot.messenger.events import split_batch
from bot.messenger.fake_graph import InProcessGraph


class InProcessGraphControl:
    """The fake Graph API's control side, as `simulator.FakeGraph` offers it over HTTP, read in this process."""

    def __init__(self, graph: InProcessGraph):
        self.state = graph.state

    def messages(self, recipient: str | None = None, after: int = 0, wait: float = 0) -> list[dict]:
        with self.state.lock:
            return [dict(m) for m in self.state.messages
                    if m["id"] > after and (recipient is None or m["recipient"] == recipient)]

    def wait_for(self, count: int, recipient: str | None = None, timeout: float = 0, after: int = 0) -> list[dict]:
        return self.messages(recipient, after)  # everything was delivered before the event's call returned

    def quiet_then(self, recipient: str | None = None, quiet: float = 0, timeout: float = 0) -> list[dict]:
        return self.messages(recipient)

    def set_profile(self, psid: str, **profile) -> None:
        with self.state.lock:
            self.state.profiles[psid] = profile

    def stats(self) -> dict:
        with self.state.lock:
            return {"messages": len(self.state.messages), "calls": self.state.calls,
                    "send_attempts": self.state.send_attempts, "profile_posts": self.state.profile_posts,
                    "templates": len(self.state.templates), "deliveries": self.state.deliveries}


class InProcessWebhook:
    """Facebook's side: a batch of events handed to the bot as its webhook hands them on (the signature, checked
    over HTTP by the webhook's own tests, is not in the way here)."""

    def __init__(self, bot: "InProcessBot"):
        self.bot = bot

    def post(self, body: dict) -> None:
        now = time.time()
        rows = split_batch(body, now)
        if rows:
            self.bot.runtime.inbox.accept(rows, now)
        self.bot.settle()

    def send(self, *events: dict) -> None:
        self.post(simulator.page_body(list(events)))


class InProcessBot:
    def __init__(self, app, graph: InProcessGraph):
        self.app = app
        self.runtime = web.of(app)
        self.settings = self.runtime.settings
        self.graph = InProcessGraphControl(graph)
        self.webhook = InProcessWebhook(self)

    def settle(self) -> None:
        """Handle everything the webhook accepted, then send everything due, in this thread."""
        while self.runtime.inbox.handle_now():
            pass
        self.runtime.sender.deliver_due()

    def say(self, psid: str, words: str) -> list[dict]:
        """A person types `words`; returns the bot's answer."""
        before = len(self.graph.messages(psid))
        self.webhook.send(simulator.text(psid, words))
        return self.answer(psid, before)

    def tap(self, psid: str, title: str, payload: str) -> list[dict]:
        before = len(self.graph.messages(psid))
        self.webhook.send(simulator.quick_reply(psid, title, payload))
        return self.answer(psid, before)

    def answer(self, psid: str, before: int, quiet: float = 0) -> list[dict]:
        return self.graph.messages(psid)[before:]

    def db(self) -> sqlite3.Connection:
        conn = sqlite3.connect(self.settings.database_path, timeout=10)
        conn.row_factory = sqlite3.Row
        return conn

    def staged(self) -> int:
        return self.runtime.inbox.staged_count()

    def wait_idle(self, timeout: float = 0) -> None:
        self.settle()

    def close(self) -> None:
        self.runtime.close()
