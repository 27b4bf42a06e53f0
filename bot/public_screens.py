"""Public screens: the pages an audience opens (poll results today; audience questions and opinion rounds next).

A feature declares a screen once and says when its data changed; `bot/public_server.py` does the rest (rendering
once per change, HTTP caching, live pushes to every open page). The whole API:

    RESULTS = Screen(
        name="poll",                                  # the kind of thing shown
        route="/live/<int:key>",                      # a werkzeug rule; `.json`, `.csv` and `/events` are added
        snapshot=lambda conn, key: {...} or None,     # the screen's data (JSON-able), None when there is no such thing
        page=lambda snap, variant, events: "<html>",  # the HTML page; `events` is the live stream's path (or None)
        is_public=lambda snap: snap["state"] != "draft",   # the audience gets 404 otherwise
        variant=lambda args: {"lang": ...},           # the query arguments a page depends on (bounded choices)
        csv=lambda snap: [[...], ...],                # optional: rows of `<route>.csv`
    )

    def register(bot):
        bot.screens.add(RESULTS)

and, inside the transaction that changes what the screen shows:

    public_screens.changed(conn, "poll", poll_id)

That is all a new screen needs (`/live/qa/<session>`, `/live/opinions/<round>`): its page, JSON, CSV and
Server-Sent Events stream are served by the public-screens server, to thousands of viewers, with no thread per
viewer and nothing taken from the webhook (see bot/public_server.py for the design and why).

Why a change table rather than a message bus: the writer and the server are different processes (gunicorn's
workers, the runner, the public-screens server), SQLite is already shared by all of them, and a row written in the
same transaction as the change can never announce a change that rolled back, nor be lost by a process that died.
`INSERT OR REPLACE` gives the (screen, key) row a new, ever-increasing id (AUTOINCREMENT), so the server finds
everything that changed since it last looked with one indexed query, however many votes came in between.
"""
from __future__ import annotations

import sqlite3
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Mapping, Sequence

from werkzeug.exceptions import NotFound
from werkzeug.routing import Map, Rule

from .numbers import BoundedIntConverter

KINDS = ("page", "json", "csv", "events")
_SUFFIX = {"page": "", "json": ".json", "csv": ".csv", "events": "/events"}


def schema(db) -> None:
    db.execute("""
        CREATE TABLE IF NOT EXISTS screen_changes (
            id INTEGER PRIMARY KEY AUTOINCREMENT,   -- a new id at every change: the server reads id > last seen
            screen TEXT NOT NULL,
            key TEXT NOT NULL,
            changed_at REAL NOT NULL,
            UNIQUE (screen, key)
        )""")


def declare(privacy) -> None:
    privacy.not_personal("screen_changes", why="which public screen (a poll's results) changed when, for the "
                                               "public-screens server")


def latest_change(conn: sqlite3.Connection) -> int:
    """The id of the last change (0: none yet)."""
    return conn.execute("SELECT coalesce(max(id), 0) FROM screen_changes").fetchone()[0]


def changes_since(conn: sqlite3.Connection, last: int) -> list[tuple[int, str, str]]:
    """(id, screen, key) of every change after the change `last`, in order."""
    return [tuple(r) for r in conn.execute("SELECT id, screen, key FROM screen_changes WHERE id > ? ORDER BY id",
                                           (last,))]


def changed(conn: sqlite3.Connection, screen: str, key: Any) -> None:
    """Say that what `screen` shows for `key` changed; call it inside the transaction that made the change.

    Cheap (one indexed row per screen and key, replaced): call it on every vote. The server coalesces: however
    many changes arrive, it renders and pushes a screen at most once per `PUSH_INTERVAL`.
    """
    conn.execute("INSERT OR REPLACE INTO screen_changes (screen, key, changed_at) VALUES (?, ?, ?)",
                 (screen, str(key), time.time()))


def _everyone(snap: dict) -> bool:
    return True


def _no_variant(args: Mapping[str, str]) -> dict:
    return {}


@dataclass(frozen=True)
class Screen:
    """A public screen; see the module docstring. `route` must take one value named `key`."""
    name: str
    route: str
    snapshot: Callable[[sqlite3.Connection, Any], dict | None]
    page: Callable[[dict, dict, str | None], str]
    is_public: Callable[[dict], bool] = _everyone
    variant: Callable[[Mapping[str, str]], dict] = _no_variant
    csv: Callable[[dict], Iterable[Sequence]] | None = None

    def preview(self, conn: sqlite3.Connection, key: Any, args: Mapping[str, str]) -> str | None:
        """The page as it is now, public or not, without the live stream: for moderators (a draft poll)."""
        snap = self.snapshot(conn, key)
        return None if snap is None else self.page(snap, self.variant(args), None)


@dataclass
class ScreenRegistry:
    """The screens the features added (`bot.screens`), and the URLs they answer."""
    screens: dict[str, Screen] = field(default_factory=dict)
    _map: Map | None = None

    def add(self, screen: Screen) -> None:
        if "<" not in screen.route or "key>" not in screen.route:
            raise ValueError(f"screen {screen.name}: the route must take one value named key, got {screen.route}")
        self.screens[screen.name] = screen
        self._map = None

    def __getitem__(self, name: str) -> Screen:
        return self.screens[name]

    def __iter__(self):
        return iter(self.screens.values())

    def _adapter(self):
        if self._map is None:
            # `<int:...>` bounded to what SQLite holds (bot/numbers.py): a larger number is a 404, as in Flask.
            self._map = Map([Rule(s.route + _SUFFIX[kind], endpoint=(s.name, kind), methods=["GET"])
                             for s in self.screens.values() for kind in KINDS],
                            converters={"int": BoundedIntConverter})
        return self._map.bind("public")

    def match(self, path: str, method: str = "GET") -> tuple[Screen, str, Any] | None:
        """(screen, kind, key) for a request path, or None when no screen answers it.

        Raises werkzeug's MethodNotAllowed for a screen's path asked with another method than GET or HEAD.
        """
        try:
            (name, kind), values = self._adapter().match(path, method=method)
        except NotFound:
            return None
        return self.screens[name], kind, values["key"]

    def path(self, name: str, key: Any, kind: str = "page", **args: Any) -> str:
        """The path of a screen's page (or `.json`, `.csv`, `/events`), with query arguments."""
        return self._adapter().build((name, kind), {"key": key, **args})
