"""A fake of the part of Facebook's Graph API the bot uses: a real HTTP server on 127.0.0.1.

Local mode, the tests and the benchmarks all point `GRAPH_API_URL` at it. It answers like Facebook
(`recipient_id`, `message_id`, Facebook-shaped error bodies), refuses what Facebook would refuse (a text over
2,000 characters, 14 quick replies, a missing `messaging_type`, a wrong token), and can be told to misbehave.

Control API (not Facebook's; under `/_fake/`):
- `GET  /_fake/messages?recipient=ID&after=N&wait=S`  messages sent, newest after id N; waits up to S seconds
- `DELETE /_fake/messages`                              forget them
- `POST /_fake/faults`  {"status", "code", "subcode", "message", "delay", "count", "path", "recipient"}
- `DELETE /_fake/faults`
- `POST /_fake/config`  {"latency": seconds for every call, "token": the only token accepted (null: any)}
- `PUT  /_fake/profiles/<psid>`  {"first_name", "last_name", "locale"}
- `GET  /_fake/stats`   counts

Run alone: `python -m bot.fake_graph --port 8765`, or under gunicorn (one process, many threads) for benchmarks.
"""
from __future__ import annotations

import argparse
import itertools
import threading
import time
import uuid
from typing import Any

from flask import Flask, jsonify, request

from . import replies as limits
from .http_server import BackgroundServer


class FakeGraphState:
    def __init__(self, token: str | None = None, latency: float = 0.0):
        self.lock = threading.Condition()
        self.token = token
        self.latency = latency
        self.messages: list[dict] = []
        self.ids = itertools.count(1)
        self.faults: list[dict] = []
        self.profiles: dict[str, dict] = {}
        self.messenger_profile: dict[str, Any] = {}
        self.profile_posts = 0
        self.calls = 0
        self.send_attempts = 0  # POST /me/messages, answered or refused

    def fault_for(self, path: str, recipient: str | None) -> dict | None:
        with self.lock:
            for fault in self.faults:
                if fault.get("path", "messages") not in (path, "any"):
                    continue
                if fault.get("recipient") and fault["recipient"] != recipient:
                    continue
                if fault.get("count") is not None:
                    if fault["count"] <= 0:
                        continue
                    fault["count"] -= 1
                return dict(fault)
        return None


def _fb_error(status: int, code: int, message: str, subcode: int | None = None, transient: bool = False):
    error = {"message": message, "type": "OAuthException", "code": code, "fbtrace_id": uuid.uuid4().hex[:11]}
    if subcode is not None:
        error["error_subcode"] = subcode
    if transient:
        error["is_transient"] = True
    return jsonify(error=error), status


def _check_message(body: dict) -> str | None:
    """What Facebook would say is wrong with a Send API body, or None."""
    recipient = body.get("recipient")
    if not isinstance(recipient, dict) or not (recipient.get("id") or recipient.get("comment_id")):
        return "(#100) recipient is required"
    has_message, has_action = "message" in body, "sender_action" in body
    if has_message == has_action:
        return "(#100) exactly one of message or sender_action is required"
    if "comment_id" not in recipient:
        kind = body.get("messaging_type")
        if kind not in ("RESPONSE", "UPDATE", "MESSAGE_TAG"):
            return "(#100) messaging_type is required"
        if (kind == "MESSAGE_TAG") != bool(body.get("tag")):
            return "(#100) tag goes with messaging_type MESSAGE_TAG only"
    if has_action:
        return None if body["sender_action"] in limits.SENDER_ACTIONS else "(#100) bad sender_action"
    message = body["message"]
    if not isinstance(message, dict):
        return "(#100) message must be an object"
    text = message.get("text")
    if text is not None and (not text or limits.units(text) > limits.TEXT_LIMIT):
        return "(#100) text must be 1 to 2000 characters"
    if (text is None) == ("attachment" not in message):
        return "(#100) message needs text or an attachment"
    quick = message.get("quick_replies") or []
    if len(quick) > limits.QUICK_REPLY_COUNT:
        return "(#100) at most 13 quick replies"
    for q in quick:
        if q.get("content_type") not in ("text", "user_email", "user_phone_number"):
            return "(#100) unknown quick reply content_type"
        if q.get("content_type") == "text" and (not q.get("title") or limits.units(q["title"]) > limits.QUICK_REPLY_TITLE):
            return "(#100) quick reply title must be 1 to 20 characters"
    payload = (message.get("attachment") or {}).get("payload") or {}
    if payload.get("template_type") == "button":
        if limits.units(payload.get("text", "")) > limits.BUTTON_TEXT or not (1 <= len(payload.get("buttons", [])) <= 3):
            return "(#100) button template: text up to 640 characters and 1 to 3 buttons"
    if payload.get("template_type") == "generic":
        elements = payload.get("elements", [])
        if not (1 <= len(elements) <= limits.CARD_COUNT):
            return "(#100) generic template: 1 to 10 elements"
        for element in elements:
            if limits.units(element.get("title", "")) > limits.CARD_TITLE or limits.units(element.get("subtitle", "")) > limits.CARD_SUBTITLE:
                return "(#100) element title and subtitle up to 80 characters"
            if len(element.get("buttons", [])) > 3:
                return "(#100) at most 3 buttons an element"
    return None


def create_app(state: FakeGraphState | None = None) -> Flask:
    app = Flask("fake_graph")
    state = state or FakeGraphState()
    app.extensions["fake_graph"] = state

    def gate(path: str, recipient: str | None = None):
        """Latency, token check and injected faults, in Facebook's order."""
        with state.lock:
            state.calls += 1
            state.send_attempts += path == "messages"
            latency = state.latency
        fault = state.fault_for(path, recipient)
        delay = latency + (fault.get("delay", 0.0) if fault else 0.0)
        if delay:
            time.sleep(delay)
        if state.token is not None and request.args.get("access_token") != state.token:
            return _fb_error(401, 190, "Error validating access token: The session has been invalidated.", 460)
        if fault and fault.get("status"):
            return _fb_error(int(fault["status"]), int(fault.get("code") or 2), fault.get("message") or "injected fault",
                             fault.get("subcode"), bool(fault.get("transient")))
        return None

    @app.post("/me/messages")
    def send():
        body = request.get_json(silent=True)
        if not isinstance(body, dict):
            return _fb_error(400, 100, "(#100) body must be JSON")
        recipient = body.get("recipient") or {}
        key = str(recipient.get("id") or f"comment:{recipient.get('comment_id')}")
        refused = gate("messages", key)
        if refused:
            return refused
        problem = _check_message(body)
        if problem:
            return _fb_error(400, 100, problem)
        message_id = f"m_{uuid.uuid4().hex}"
        with state.lock:
            state.messages.append({"id": next(state.ids), "recipient": key, "message_id": message_id,
                                   "body": body, "received_at": time.time()})
            state.lock.notify_all()
        return jsonify(recipient_id=recipient.get("id") or "commenter", message_id=message_id)

    @app.get("/me")
    def me():
        return gate("me") or jsonify(id="100000000000001", name="Opengovthailand (fake)")

    @app.get("/me/messenger_profile")
    def get_profile():
        refused = gate("messenger_profile")
        if refused:
            return refused
        fields = [f for f in request.args.get("fields", "").split(",") if f]
        with state.lock:
            data = {k: v for k, v in state.messenger_profile.items() if not fields or k in fields}
        return jsonify(data=[data] if data else [])

    @app.post("/me/messenger_profile")
    def set_profile():
        refused = gate("messenger_profile")
        if refused:
            return refused
        body = request.get_json(silent=True) or {}
        if len(body.get("ice_breakers", [{}])[0].get("call_to_actions", []) if body.get("ice_breakers") else []) > 4:
            return _fb_error(400, 100, "(#100) at most 4 ice breakers")
        with state.lock:
            state.messenger_profile.update(body)
            state.profile_posts += 1
        return jsonify(result="success")

    @app.get("/<psid>")
    def user_profile(psid: str):
        refused = gate("profile", psid)
        if refused:
            return refused
        with state.lock:
            profile = state.profiles.get(psid)
        if profile is None:
            profile = {"first_name": "สมชาย", "last_name": "ใจดี", "locale": "th_TH"}
        return jsonify(id=psid, **profile)

    # -- control API ------------------------------------------------------------------------------------
    @app.get("/_fake/messages")
    def list_messages():
        recipient = request.args.get("recipient")
        after = int(request.args.get("after", 0))
        deadline = time.time() + min(float(request.args.get("wait", 0)), 30.0)

        def matching():
            return [m for m in state.messages if m["id"] > after and (recipient is None or m["recipient"] == recipient)]

        with state.lock:
            found = matching()
            while not found and time.time() < deadline:
                state.lock.wait(deadline - time.time())
                found = matching()
            last = state.messages[-1]["id"] if state.messages else 0
        return jsonify(messages=found, last_id=last)

    @app.delete("/_fake/messages")
    def clear_messages():
        with state.lock:
            state.messages.clear()
        return jsonify(ok=True)

    @app.post("/_fake/faults")
    def add_fault():
        fault = request.get_json(force=True)
        with state.lock:
            state.faults.append(fault)
        return jsonify(ok=True, faults=len(state.faults))

    @app.delete("/_fake/faults")
    def clear_faults():
        with state.lock:
            state.faults.clear()
        return jsonify(ok=True)

    @app.post("/_fake/config")
    def configure():
        config = request.get_json(force=True)
        with state.lock:
            if "latency" in config:
                state.latency = float(config["latency"])
            if "token" in config:
                state.token = config["token"]
        return jsonify(ok=True)

    @app.put("/_fake/profiles/<psid>")
    def put_profile(psid: str):
        with state.lock:
            state.profiles[psid] = request.get_json(force=True)
        return jsonify(ok=True)

    @app.get("/_fake/stats")
    def stats():
        with state.lock:
            return jsonify(messages=len(state.messages), calls=state.calls, send_attempts=state.send_attempts,
                           profile_posts=state.profile_posts)

    return app


class FakeGraphServer:
    """The fake on a background thread: `with FakeGraphServer() as fake: fake.url`."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0, token: str | None = None, latency: float = 0.0,
                 threads: int = 64):
        self.state = FakeGraphState(token=token, latency=latency)
        self.app = create_app(self.state)
        self.server = BackgroundServer(self.app, host, port, threads=threads)
        self.url = self.server.url

    def start(self) -> "FakeGraphServer":
        self.server.start()
        return self

    def stop(self) -> None:
        self.server.stop()

    def __enter__(self) -> "FakeGraphServer":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description="Fake Facebook Graph API for local runs and tests")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--token", default=None, help="the only access token accepted (default: any)")
    parser.add_argument("--latency", type=float, default=0.0, help="seconds to wait before every answer")
    parser.add_argument("--threads", type=int, default=64, help="requests answered at once (latency x rate needs)")
    args = parser.parse_args()
    server = FakeGraphServer(args.host, args.port, args.token, args.latency, threads=args.threads)
    print(f"fake Graph API on {server.url}", flush=True)
    server.server.serve_forever()


if __name__ == "__main__":
    main()
