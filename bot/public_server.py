"""The public-screens server: results pages and their live updates for audiences of thousands.

An ASGI application (served by uvicorn) for every screen of `bot.screens` (bot/public_screens.py): its page,
`.json`, `.csv` and `/events` (Server-Sent Events). In production it runs as its own process beside gunicorn
(`flask --app app public-screens`, started by gunicorn.conf.py at a lower CPU priority) and nginx sends `/live/`
to it; in `python app.py` it fronts the bot in the same process and hands every other path to the Flask app.

Why this design (the one live-results services and news sites use):
- **An event loop, not a thread per viewer.** A viewer's open stream is a few kilobytes of memory and a file
  descriptor waiting in the loop; 5,000 of them cost no thread, and the webhook, served by other processes,
  never waits behind them. (Before, each stream held one of gunicorn's 8 threads: 8 viewers took the bot down.)
- **Rendered once per change, not once per viewer.** The server looks at the change table every `TICK`; a
  screen that changed is read from SQLite and serialised once, and that one message is written to every viewer.
  Changes are coalesced: at most one render and push per screen every `PUSH_INTERVAL`, whether 1 or 2,000 votes
  came in meanwhile, so a vote storm costs the viewers' side a constant few pushes a second.
- **HTTP caching carries the crowd.** Page, JSON and CSV carry an ETag (a hash of the rendered bytes; a matching
  `If-None-Match` gets 304) and `Cache-Control: public, max-age=...`, so nginx's cache (deploy/nginx) or a CDN
  answers the crowd and this server sees about one request a second per URL.
- **Pushes are paced**: 250 viewers at a time, 10 ms apart, so neither this server nor nginx ever holds the CPU
  (or nginx's event loop, which carries the webhook too) for more than a few milliseconds.
- **Slow viewers cannot hold anyone up.** Each viewer has its own task; one whose network is slow simply gets the
  latest snapshot when it can take it (intermediate ones are skipped, as they are out of date anyway).
- **Only what the audience may see.** A screen's `is_public` decides (a draft poll is 404 for page, JSON, CSV and
  stream alike); moderators preview drafts in the console.

SQLite is read in one thread of its own (never on the loop), through one connection, inside read transactions.
"""
from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import random
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

from werkzeug.exceptions import MethodNotAllowed

from .csv_export import csv_document
from .logs import event as log_event
from .public_screens import Screen, ScreenRegistry, changes_since, latest_change
from .store import Store

log = logging.getLogger(__name__)

TICK = 0.05  # seconds between looks at the change table (one indexed query)
PUSH_INTERVAL = 0.5  # at most one render and push per screen this often
PACE_GROUP, PACE = 250, 0.01  # a push reaches viewers 250 at a time, 10 ms apart (5,000 viewers: over 0.19 s)
KEEPALIVE = 15.0  # a comment line on a quiet stream, so proxies and phones keep it open
STREAM_FOR = 3 * 3600  # then the stream ends and the browser reconnects by itself (spread over 10 minutes)
IDLE_FOR = 300.0  # a screen nobody asked for this long is dropped from memory
MAX_SCREENS = 10_000  # screens kept in memory at most (a crawler asking for every id cannot exhaust memory)
CACHE = {"page": "public, max-age=5", "json": "public, max-age=1", "csv": "public, max-age=5",
         "missing": "public, max-age=1"}
COMMON_HEADERS = [(b"x-content-type-options", b"nosniff"), (b"referrer-policy", b"strict-origin-when-cross-origin")]


class _Rendered:
    """One screen for one key, as last read: the data, its serialised forms, and who is watching it."""

    __slots__ = ("screen", "key", "seen", "stale", "visible", "snap", "json", "etag", "message", "pages", "csv",
                 "groups", "viewers", "joined", "used", "rendered_at", "rendering")

    def __init__(self, screen: Screen, key: Any, loop: asyncio.AbstractEventLoop):
        self.screen, self.key = screen, key
        self.seen = -1  # the last change id this render includes
        self.stale = True
        self.visible = False
        self.snap: dict | None = None
        self.json = b""
        self.etag = ""
        self.message = b""  # the SSE event every viewer gets
        self.pages: dict[tuple, tuple[bytes, str]] = {}
        self.csv: tuple[bytes, str] | None = None
        # Viewers wait in groups of PACE_GROUP, each on one future resolved (and replaced) at every push.
        self.groups: list[asyncio.Future] = [loop.create_future()]
        self.viewers = 0
        self.joined = 0
        self.used = time.monotonic()
        self.rendered_at = 0.0
        self.rendering: asyncio.Future | None = None

    def join(self) -> int:
        """A new viewer: its group (groups are added as the audience grows)."""
        self.viewers += 1
        self.joined += 1
        if len(self.groups) * PACE_GROUP < self.viewers:
            self.groups.append(self.groups[0].get_loop().create_future())
        return self.joined % len(self.groups)

    def wake(self, pace: float = PACE) -> None:
        """Wake every viewer of this screen (a new reading, a keep-alive, closing), a group every `pace` seconds.

        Why paced: 5,000 writes at once are a burst of ~0.1 s of CPU here and as much in nginx, whose event loop
        also carries the webhook; 250 at a time keep every burst to a few milliseconds."""
        loop = self.groups[0].get_loop()
        for i, group in enumerate(self.groups):
            self.groups[i] = loop.create_future()
            if i == 0 or pace <= 0:
                group.set_result(None)
            else:
                loop.call_later(i * pace, group.set_result, None)

    def update(self, seen: int, snap: dict | None) -> bool:
        """Take a new reading; True when what viewers see changed."""
        self.seen, self.stale, self.rendered_at = seen, False, time.monotonic()
        visible = snap is not None and self.screen.is_public(snap)
        body = json.dumps(snap, ensure_ascii=False, separators=(",", ":")).encode() if visible else b""
        if visible == self.visible and body == self.json:
            return False
        self.visible, self.snap, self.json = visible, snap if visible else None, body
        self.etag = _etag(body) if visible else ""
        self.message = b"id: " + self.etag.encode() + b"\ndata: " + body + b"\n\n" if visible else b""
        self.pages, self.csv = {}, None
        return True


def _etag(body: bytes) -> str:
    return '"' + hashlib.blake2b(body, digest_size=10).hexdigest() + '"'


class PublicScreens:
    """The ASGI application. `fallback`: an ASGI app for every path no screen answers (local mode: the bot)."""

    def __init__(self, screens: ScreenRegistry, database_path: str | Path, fallback=None, *,
                 tick: float = TICK, push_interval: float = PUSH_INTERVAL, keepalive: float = KEEPALIVE):
        self.screens = screens
        self.fallback = fallback
        self.tick, self.push_interval, self.keepalive = tick, push_interval, keepalive
        self._store = Store(database_path)
        self._reader = ThreadPoolExecutor(1, thread_name_prefix="public-screens-db")
        self._rendered: dict[tuple[str, str], _Rendered] = {}
        self._last_change = 0
        self._watcher: asyncio.Task | None = None
        self._closing = False

    # -- ASGI ---------------------------------------------------------------------------------------------
    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan(receive, send)
            return
        match = None
        if scope["type"] == "http":
            try:
                match = self.screens.match(scope["path"], scope["method"])
            except MethodNotAllowed:
                await _respond(send, 405, b"method not allowed\n", [(b"allow", b"GET, HEAD")])
                return
        if match is None:
            if self.fallback is not None:
                await self.fallback(scope, receive, send)
            else:
                await _respond(send, 404, b"not found\n", [(b"cache-control", CACHE["missing"].encode())])
            return
        screen, kind, key = match
        self._start_watching()
        rendered = await self._get(screen, key)
        if not rendered.visible:
            await _respond(send, 404, b"not found\n", [(b"cache-control", CACHE["missing"].encode())])
        elif kind == "events":
            await self._stream(rendered, scope, receive, send)
        else:
            await self._document(rendered, kind, scope, send)

    async def _lifespan(self, receive, send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                self._start_watching()
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                self.close()
                await send({"type": "lifespan.shutdown.complete"})
                return

    # -- documents ----------------------------------------------------------------------------------------
    async def _document(self, rendered: _Rendered, kind: str, scope, send) -> None:
        if kind == "json":
            body, etag, ctype = rendered.json, rendered.etag, b"application/json"
        elif kind == "csv":
            if rendered.screen.csv is None:
                await _respond(send, 404, b"not found\n", [])
                return
            if rendered.csv is None:
                rendered.csv = _csv(rendered.screen.csv(rendered.snap))
            (body, etag), ctype = rendered.csv, b"text/csv; charset=utf-8"
        else:
            args = dict(parse_qsl(scope["query_string"].decode("latin-1")))
            variant = rendered.screen.variant(args)
            cache_key = tuple(sorted(variant.items()))
            if cache_key not in rendered.pages:
                events = self.screens.path(rendered.screen.name, rendered.key, "events")
                page = rendered.screen.page(rendered.snap, variant, events).encode()
                rendered.pages[cache_key] = (page, _etag(page))
            (body, etag), ctype = rendered.pages[cache_key], b"text/html; charset=utf-8"
        headers = [(b"etag", etag.encode()), (b"cache-control", CACHE[kind].encode()),
                   (b"access-control-allow-origin", b"*")]
        if kind == "csv":
            name = f"{rendered.screen.name}-{rendered.key}.csv"
            headers.append((b"content-disposition", f'attachment; filename="{name}"'.encode()))
        if _matches(_header(scope, b"if-none-match"), etag):
            await _respond(send, 304, b"", headers)
        else:
            await _respond(send, 200, body, [(b"content-type", ctype), *headers], head=scope["method"] == "HEAD")

    # -- the live stream ----------------------------------------------------------------------------------
    async def _stream(self, rendered: _Rendered, scope, receive, send) -> None:
        while (await receive()).get("more_body"):  # a GET has no body; read the request to its end
            pass
        await send({"type": "http.response.start", "status": 200, "headers": [
            (b"content-type", b"text/event-stream; charset=utf-8"), (b"cache-control", b"no-store"),
            (b"x-accel-buffering", b"no"), (b"access-control-allow-origin", b"*"), *COMMON_HEADERS]})
        if scope["method"] == "HEAD":
            await send({"type": "http.response.body", "body": b""})
            return
        # Reconnect after 2-5 s, spread, so a restart does not bring every viewer back in the same instant.
        first = f"retry: {random.randint(2000, 5000)}\n\n".encode()
        sent = _header(scope, b"last-event-id").decode("latin-1")  # a reconnecting browser says what it has
        if sent != rendered.etag:
            first += rendered.message
            sent = rendered.etag
        await send({"type": "http.response.body", "body": first, "more_body": True})
        # Waiting costs one callback on the screen's shared future: a push wakes each viewer once, and the viewer
        # writes the one message rendered for all. Keep-alives come the same way (every KEEPALIVE seconds), and a
        # viewer who left is noticed then (uvicorn drops what is sent to a closed connection meanwhile).
        disconnected = asyncio.ensure_future(receive())
        group = rendered.join()
        until = time.monotonic() + STREAM_FOR + random.uniform(0, 600)
        try:
            while not (disconnected.done() or self._closing or not rendered.visible or time.monotonic() > until):
                if rendered.etag != sent:  # (again after sending: a slow connection may have missed a push)
                    sent = rendered.etag
                    await send({"type": "http.response.body", "body": rendered.message, "more_body": True})
                    continue
                await rendered.groups[group]
                if rendered.etag == sent and not self._closing:  # woken by a keep-alive
                    await send({"type": "http.response.body", "body": b": keepalive\n\n", "more_body": True})
        finally:
            rendered.viewers -= 1
            disconnected.cancel()
        await send({"type": "http.response.body", "body": b""})

    # -- readings -----------------------------------------------------------------------------------------
    async def _get(self, screen: Screen, key: Any) -> _Rendered:
        loop = asyncio.get_running_loop()
        ident = (screen.name, str(key))
        rendered = self._rendered.get(ident)
        if rendered is None:
            if len(self._rendered) >= MAX_SCREENS:
                self._forget(keep=MAX_SCREENS // 2)
            rendered = self._rendered[ident] = _Rendered(screen, key, loop)
        rendered.used = time.monotonic()
        # Read again when it changed since (and not too recently, so a crowd of requests during a vote storm
        # causes one reading per PUSH_INTERVAL); a first reading is always waited for.
        if rendered.stale and (rendered.seen < 0 or rendered.used - rendered.rendered_at >= self.push_interval):
            await self._refresh(rendered)
        return rendered

    async def _refresh(self, rendered: _Rendered) -> None:
        """Read the screen again (one reading at a time per screen: the others wait for it, and for its result
        to be in place)."""
        if rendered.rendering is None:
            rendered.rendering = asyncio.ensure_future(self._reread(rendered))
        await asyncio.shield(rendered.rendering)

    async def _reread(self, rendered: _Rendered) -> None:
        loop = asyncio.get_running_loop()
        try:
            seen, snap = await loop.run_in_executor(self._reader, self._read, rendered.screen, rendered.key)
            if rendered.update(seen, snap):
                rendered.wake()
        finally:
            rendered.rendering = None

    def _read(self, screen: Screen, key: Any) -> tuple[int, dict | None]:
        """In the reader thread: the screen's data and the last change id it includes, in one read transaction."""
        conn = self._store.conn
        conn.execute("BEGIN")
        try:
            seen = latest_change(conn)
            return seen, screen.snapshot(conn, key)
        finally:
            conn.execute("COMMIT")

    def _changes_since(self, last: int) -> list[tuple[int, str, str]]:
        return changes_since(self._store.conn, last)

    # -- watching for changes -----------------------------------------------------------------------------
    def _start_watching(self) -> None:
        if self._watcher is None and not self._closing:
            self._watcher = asyncio.get_running_loop().create_task(self._watch(), name="public-screens-watch")

    async def _watch(self) -> None:
        loop = asyncio.get_running_loop()
        keepalive_at = time.monotonic() + self.keepalive
        while not self._closing:
            try:
                changes = await loop.run_in_executor(self._reader, self._changes_since, self._last_change)
                for change_id, name, key in changes:
                    rendered = self._rendered.get((name, key))
                    if rendered is not None and change_id > rendered.seen:
                        rendered.stale = True
                    self._last_change = max(self._last_change, change_id)
                now = time.monotonic()
                if now >= keepalive_at:  # quiet streams get a comment line; closed ones are noticed
                    keepalive_at = now + self.keepalive
                    for rendered in self._rendered.values():
                        if rendered.viewers:
                            rendered.wake()
                for rendered in list(self._rendered.values()):
                    if rendered.viewers and rendered.stale and now - rendered.rendered_at >= self.push_interval:
                        await self._refresh(rendered)
                    elif not rendered.viewers and now - rendered.used > IDLE_FOR and rendered.rendering is None:
                        del self._rendered[(rendered.screen.name, str(rendered.key))]
            except Exception:  # a locked or briefly unreadable database: look again at the next tick
                log.exception("public_screens.watch_failed")
            await asyncio.sleep(self.tick)

    def _forget(self, keep: int) -> None:
        idle = sorted((r for r in self._rendered.values() if not r.viewers and r.rendering is None),
                      key=lambda r: r.used)
        for rendered in idle[:max(0, len(self._rendered) - keep)]:
            del self._rendered[(rendered.screen.name, str(rendered.key))]

    # -- state --------------------------------------------------------------------------------------------
    def stats(self) -> dict:
        """Screens in memory and viewers connected (for logs and benchmarks)."""
        return {"screens": len(self._rendered), "viewers": sum(r.viewers for r in self._rendered.values())}

    def close(self) -> None:
        """End every stream and stop watching (call on the loop, before the server stops)."""
        if self._closing:
            return
        self._closing = True
        for rendered in self._rendered.values():
            rendered.wake(pace=0)
        if self._watcher is not None:
            self._watcher.cancel()
        log_event(log, "public_screens.closed", **self.stats())
        self._reader.shutdown(wait=False)


def _csv(rows) -> tuple[bytes, str]:
    header, *rest = rows
    body = csv_document(header, rest).encode()  # a BOM (Excel reads the Thai), no cell a spreadsheet would run
    return body, _etag(body)


def _header(scope, name: bytes) -> bytes:
    for key, value in scope["headers"]:
        if key == name:
            return value
    return b""


def _matches(if_none_match: bytes, etag: str) -> bool:
    """RFC 9110 13.1.2: weak comparison, a list of tags or `*`."""
    if not if_none_match:
        return False
    tags = {t.strip().removeprefix("W/") for t in if_none_match.decode("latin-1").split(",")}
    return "*" in tags or etag in tags


async def _respond(send, status: int, body: bytes, headers: list, head: bool = False) -> None:
    headers = [*headers, *COMMON_HEADERS]
    if status != 304:
        headers.append((b"content-length", str(len(body)).encode()))
        if not any(k == b"content-type" for k, _ in headers):
            headers.append((b"content-type", b"text/plain; charset=utf-8"))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": b"" if head or status == 304 else body})


# -- wiring -------------------------------------------------------------------------------------------------
def with_bot(bot, wsgi_app=None, workers: int = 16) -> PublicScreens:
    """The public screens of a BotRuntime; with `wsgi_app` (the bot's Flask app) every other path goes to it,
    run on `workers` threads (a2wsgi), so one server serves the whole bot (`python app.py`, the tests)."""
    fallback = None
    if wsgi_app is not None:
        from a2wsgi import WSGIMiddleware

        fallback = WSGIMiddleware(wsgi_app, workers=workers)
    return PublicScreens(bot.screens, bot.settings.database_path, fallback)


def screen_url(bot, name: str, key: Any, kind: str = "page", _external: bool = False, **args: Any) -> str:
    """A public screen's address for links (the console's "Live results", the OBS overlay's full URL)."""
    path = bot.screens.path(name, key, kind, **args)
    return bot.settings.base_url + path if _external else path
