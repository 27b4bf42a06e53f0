"""`/webhook`: Facebook's handshake and event delivery.

The POST does only what must happen before Facebook gets its 200: check the signature over the raw bytes,
parse, write every event of every entry to the inbox in one transaction, wake the workers. No Graph call, no
handler, nothing that can be slow. Facebook waits for our 200 before it sends the next event.

A signed body is never answered 5xx because of what it contains: a body that cannot be parsed (not JSON, nested
deeper than the parser goes) answers 400, and text that cannot be stored as is (a lone UTF-16 surrogate such as
"\\ud800", which JSON allows and UTF-8 cannot encode) is stored with U+FFFD in its place (bot/messenger/events.py). Only
our own storage failing answers 503, so that Facebook delivers the batch again later.
"""
from __future__ import annotations

import hashlib
import hmac
import json
import logging
import sqlite3
import time

from flask import Blueprint, Response, jsonify, request

from .events import split_batch
from ..logs import event as log_event
from ..web import runtime

MAX_BODY = 1024 * 1024  # 1 MiB; Facebook's batches are far smaller
bp = Blueprint("webhook", __name__)
log = logging.getLogger(__name__)


def sign(body: bytes, app_secret: str) -> str:
    """The `X-Hub-Signature-256` header value Facebook sends for `body`."""
    return "sha256=" + hmac.new(app_secret.encode(), body, hashlib.sha256).hexdigest()


def signature_ok(body: bytes, header: str | None, app_secret: str) -> bool:
    if not header:
        return False
    expected = sign(body, app_secret).encode()
    # Compare bytes in constant time; a header with non-ASCII junk is simply wrong, not an exception.
    return hmac.compare_digest(expected, header.strip().encode("utf-8", "replace"))


def _error(status: int, message: str) -> tuple[Response, int]:
    return jsonify(error=message), status


@bp.get("/webhook")
def verify():
    bot = runtime()
    mode = request.args.get("hub.mode", "")
    token = request.args.get("hub.verify_token", "")
    challenge = request.args.get("hub.challenge", "")
    if mode == "subscribe" and hmac.compare_digest(token.encode(), bot.settings.verify_token.encode()):
        return Response(challenge, status=200, mimetype="text/plain")
    log_event(log, "webhook.verify_refused", logging.WARNING, mode=mode)
    return _error(403, "verification failed")


@bp.post("/webhook")
def receive():
    bot = runtime()
    if (request.content_length or 0) > MAX_BODY:
        return _error(413, "body over 1 MiB")
    body = request.get_data(cache=False)  # Flask enforces MAX_CONTENT_LENGTH on chunked bodies too (413)
    if not signature_ok(body, request.headers.get("X-Hub-Signature-256"), bot.settings.app_secret):
        log_event(log, "webhook.bad_signature", logging.WARNING, bytes=len(body))
        return _error(403, "missing or invalid X-Hub-Signature-256")
    try:
        data = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError):
        return _error(400, "body is not JSON")
    except RecursionError:  # "[[[[..." a few thousand deep: valid JSON, deeper than any event Facebook sends
        return _error(400, "body is nested too deeply")
    if not isinstance(data, dict) or data.get("object") != "page":
        return _error(400, "object must be 'page'")
    now = time.time()
    try:
        rows = split_batch(data, now)
    except RecursionError:  # an event nested too deeply to store
        return _error(400, "body is nested too deeply")
    if rows:
        try:
            stored = bot.inbox.accept(rows, now)
        except sqlite3.Error as exc:
            # Our storage failed (a full disk, a broken file): Facebook keeps the batch and delivers it again.
            log_event(log, "webhook.not_stored", logging.ERROR, error_type=type(exc).__name__, error=str(exc))
            return _error(503, "events could not be stored; deliver again later")
        if stored:
            bot.wake_inbox()
    return Response("EVENT_RECEIVED", status=200, mimetype="text/plain")

