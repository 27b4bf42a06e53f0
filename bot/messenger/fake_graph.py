"""A fake of the part of Facebook's Graph API the bot uses: a real HTTP server on 127.0.0.1.

Local mode, the tests and the benchmarks all point `GRAPH_API_URL` at it. It answers like Facebook
(`recipient_id`, `message_id`, Facebook-shaped error bodies), refuses what Facebook would refuse (a text over
2,000 characters, 14 quick replies, a missing `messaging_type`, a wrong token), and can be told to misbehave.

It follows the Messenger Platform as Meta documents it in late 2026, with the sources and their dates:
- Message tags: only `HUMAN_AGENT` is left. `CONFIRMED_EVENT_UPDATE`, `POST_PURCHASE_UPDATE` and
  `ACCOUNT_UPDATE` were retired on 27 April 2026 and are refused with error 100 "(#100) Invalid parameter", as
  integrators who checked against the live API report (erxes PR #9177, August 2026; vlab-research/fly,
  documentation/utility-messages.md, 2026). Recurring notifications ended in February 2026.
- Utility messages ("Send a utility message", Messenger Platform, updated 13 March 2026; "Page Message
  Templates", Graph API reference v25.0/v26.0): Page-owned templates under `/{page-id}/message_templates`,
  permission `page_utility_messaging`, approved "within seconds of creation", never marketing. Meta's pages as
  stored here stop before the request bodies, so the shapes follow the closest documented ones, said where used:
  creation as WhatsApp's Message Templates API (`name`, `language`, `category: UTILITY`, `components` with a
  BODY whose `{{1}}`... placeholders need `example.body_text`; BUTTONS of type URL, PHONE_NUMBER or POSTBACK,
  QUICK_REPLY refused with subcode 2018416, as integrators found on v25.0), and sending as integrators document
  it (vlab-research/fly, documentation/utility-messages.md): `messaging_type: UTILITY` and an attachment `{"type": "template", "payload": {"template_type":
  "utility_messages", "name", "language": {"code"}, "components": [{"type": "body", "parameters": [...]}]}}`.
  A template that does not exist in that language, is not APPROVED, or gets the wrong number of parameters is
  refused with error 100. Utility messages may go outside the 24-hour window; that is what they are for.
- The `message_template_status_update` webhook: on `object: page`, `entry[].changes[]` with that field and a
  value shaped as WhatsApp's reference for the same field documents it (updated 13 April 2026): `event`,
  `message_template_id`, `message_template_name`, `message_template_language`, `reason`,
  `message_template_category`. The fake signs it with the app secret and posts it to the bot (`webhook` in
  the config) when a template's status changes.
- Error 10 with subcode 1893063, "the Page is temporarily restricted from sending messages" (Messenger
  Platform changelog, 25 June 2026): the fault `{"kind": "page_restricted"}` answers every send with it.
- Stickers: since 30 August 2026 only an attachment of type `sticker` (changelog, 1 June 2026); see
  bot/messenger/simulator.py, which plays Facebook's side of the webhook.

Control API (not Facebook's; under `/_fake/`):
- `GET  /_fake/messages?recipient=ID&after=N&wait=S`  messages sent, newest after id N; waits up to S seconds
  (a utility message carries `rendered`: its template's body with the parameters filled in)
- `DELETE /_fake/messages`                              forget them
- `POST /_fake/faults`  {"status", "code", "subcode", "message", "delay", "count", "path", "recipient"},
  or {"kind": "page_restricted"} (error 10/1893063 on every send until the faults are cleared)
- `DELETE /_fake/faults`
- `POST /_fake/config`  {"latency": seconds for every call, "token": the only token accepted (null: any),
  "review": how new templates are judged ("approve", "reject", "pending"), "approval_delay": seconds,
  "webhook": {"url", "app_secret"} where template status changes are delivered}
- `GET  /_fake/templates`, `POST /_fake/templates/<id>/status` {"status", "reason"}: Meta changing its mind
- `PUT  /_fake/profiles/<psid>`  {"first_name", "last_name", "locale"}
- `GET  /_fake/stats`   counts

Run alone: `python -m bot.messenger.fake_graph --port 8765`, or under gunicorn (one process, many threads) for benchmarks.
"""
from __future__ import annotations

import argparse
import itertools
import json
import logging
import re
import threading
import time
import uuid
from typing import Any

import requests
from flask import Flask, jsonify, request

from . import replies as limits
from ..http_server import BackgroundServer
from .webhook import sign

log = logging.getLogger(__name__)

PAGE_ID = "100000000000001"
# Tags the Send API still accepts, and the ones Meta retired on 27 April 2026 (refused with error 100).
TAGS = frozenset({"HUMAN_AGENT"})
RETIRED_TAGS = frozenset({"CONFIRMED_EVENT_UPDATE", "POST_PURCHASE_UPDATE", "ACCOUNT_UPDATE"})
MESSAGING_TYPES = ("RESPONSE", "UPDATE", "MESSAGE_TAG", "UTILITY")
RESTRICTED = {"status": 400, "code": 10, "subcode": 1893063,
              "message": "(#10) This Page is temporarily restricted from sending messages."}
# Template rules (WhatsApp's Message Templates API, which Messenger's utility templates follow).
TEMPLATE_NAME = re.compile(r"^[a-z0-9_]{1,512}$")
TEMPLATE_LANGUAGES = frozenset({"th", "en", "en_US", "en_GB", "vi", "fil", "id", "ms", "zh_CN", "ja", "ko"})
BODY_LIMIT = 1024
PLACEHOLDER = re.compile(r"\{\{(\d+)\}\}")
BUTTON_TYPES = frozenset({"URL", "PHONE_NUMBER", "POSTBACK"})
# A crude stand-in for Meta's review: utility templates must not market anything.
MARKETING_WORDS = re.compile(r"ส่วนลด|โปรโมชั่น|โปรโมชัน|ลดราคา|discount|promo|sale\b|coupon|% off", re.IGNORECASE)


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
        self.page_id = PAGE_ID
        self.templates: dict[str, dict] = {}  # id -> {id, name, language, category, status, components, ...}
        self.template_ids = itertools.count(880000000000001)
        self.review = "approve"  # how new templates are judged: approve | reject | pending
        self.approval_delay = 0.2  # seconds from creation to Meta's verdict ("within seconds")
        self.webhook: dict | None = None  # {"url", "app_secret"}: where template status changes are delivered
        self.deliveries = 0  # webhooks delivered

    def template(self, name: str, language: str) -> dict | None:
        with self.lock:
            return next((dict(t) for t in self.templates.values() if t["name"] == name and t["language"] == language),
                        None)

    def set_template_status(self, template_id: str, status: str, reason: str = "NONE") -> dict | None:
        """Meta's verdict (or later change of mind), delivered to the bot as `message_template_status_update`."""
        with self.lock:
            template = self.templates.get(template_id)
            if template is None:
                return None
            template["status"] = status
            template["rejected_reason"] = reason if status == "REJECTED" else "NONE"
            changed = dict(template)
            webhook = dict(self.webhook) if self.webhook else None
        if webhook:
            self._deliver(webhook, changed, reason)
        return changed

    def _deliver(self, webhook: dict, template: dict, reason: str) -> None:
        body = {"object": "page", "entry": [{"id": self.page_id, "time": int(time.time()), "changes": [{
            "field": "message_template_status_update",
            "value": {"event": template["status"], "message_template_id": int(template["id"]),
                      "message_template_name": template["name"], "message_template_language": template["language"],
                      "reason": reason, "message_template_category": template["category"]}}]}]}
        raw = json.dumps(body, separators=(",", ":")).encode()
        try:
            requests.post(webhook["url"], data=raw, timeout=10, headers={
                "Content-Type": "application/json", "X-Hub-Signature-256": sign(raw, webhook["app_secret"])})
            with self.lock:
                self.deliveries += 1
        except requests.RequestException as exc:  # Facebook would retry; the bot can also read the list
            log.warning("fake_graph.webhook_not_delivered: %s", type(exc).__name__)

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


def _fb_error(status: int, code: int, message: str, subcode: int | None = None, transient: bool = False,
              user_message: str | None = None):
    error = {"message": message, "type": "OAuthException", "code": code, "fbtrace_id": uuid.uuid4().hex[:11]}
    if subcode is not None:
        error["error_subcode"] = subcode
    if transient:
        error["is_transient"] = True
    if user_message:
        error["error_user_msg"] = user_message
    return jsonify(error=error), status


INVALID_PARAMETER = "(#100) Invalid parameter"


def _check_template_message(state: FakeGraphState, message: dict) -> tuple[str | None, str | None]:
    """(what is wrong with a utility message, None) or (None, its rendered text)."""
    payload = (message.get("attachment") or {}).get("payload") or {}
    if (message.get("attachment") or {}).get("type") != "template" or payload.get("template_type") != "utility_messages":
        return "messaging_type UTILITY needs a utility_messages template", None
    name, language = payload.get("name"), (payload.get("language") or {}).get("code")
    template = state.template(str(name), str(language))
    if template is None:
        return f"template {name!r} does not exist in {language!r}", None
    if template["status"] != "APPROVED":
        return f"template {name!r} ({language}) is {template['status']}, not APPROVED", None
    body = next(c for c in template["components"] if c["type"].upper() == "BODY")
    wanted = len(set(PLACEHOLDER.findall(body["text"])))
    given = []
    for component in payload.get("components") or []:
        if isinstance(component, dict) and str(component.get("type", "")).lower() == "body":
            given = component.get("parameters") or []
    if len(given) != wanted:
        return f"template {name!r} needs {wanted} body parameters, got {len(given)}", None
    values = []
    for parameter in given:
        text = parameter.get("text") if isinstance(parameter, dict) and parameter.get("type") == "text" else None
        if not isinstance(text, str) or not text.strip() or re.search(r"[\n\t]| {5,}", text):
            return "a parameter must be text without new lines, tabs or more than 4 spaces in a row", None
        values.append(text)
    rendered = PLACEHOLDER.sub(lambda m: values[int(m.group(1)) - 1], body["text"])
    if limits.units(rendered) > BODY_LIMIT:
        return f"the message would be {limits.units(rendered)} characters; a template body takes {BODY_LIMIT}", None
    return None, rendered


def _check_new_template(state: FakeGraphState, body: dict) -> str | None:
    """What Meta would refuse in a new utility template (WhatsApp's Message Templates API rules), or None."""
    name, language = body.get("name"), body.get("language")
    if not isinstance(name, str) or not TEMPLATE_NAME.match(name):
        return "name: lowercase letters, digits and underscores, at most 512"
    if language not in TEMPLATE_LANGUAGES:
        return f"language {language!r} is not supported"
    if str(body.get("category", "")).upper() != "UTILITY":
        return "category must be UTILITY (Pages send utility templates only)"
    components = body.get("components")
    if not isinstance(components, list):
        return "components is required"
    bodies = [c for c in components if isinstance(c, dict) and str(c.get("type", "")).upper() == "BODY"]
    if len(bodies) != 1 or not isinstance(bodies[0].get("text"), str) or not bodies[0]["text"].strip():
        return "exactly one BODY component with text"
    text = bodies[0]["text"]
    if limits.units(text) > BODY_LIMIT:
        return f"BODY text is at most {BODY_LIMIT} characters"
    numbers = sorted({int(n) for n in PLACEHOLDER.findall(text)})
    if numbers != list(range(1, len(numbers) + 1)):
        return "placeholders must be {{1}}, {{2}}, ... in sequence"
    if numbers:
        examples = ((bodies[0].get("example") or {}).get("body_text") or [[]])[0]
        if len(examples) != len(numbers):
            return "TEMPLATE_VARIABLES_MISSING_SAMPLE_VALUES: example.body_text needs one value per placeholder"
    for component in components:
        if isinstance(component, dict) and str(component.get("type", "")).upper() == "BUTTONS":
            buttons = component.get("buttons") or []
            if len(buttons) > 3 or any(str(b.get("type", "")).upper() not in BUTTON_TYPES for b in buttons):
                return "Message Template Creation Failed: buttons are URL, PHONE_NUMBER or POSTBACK, at most 3"
    if state.template(name, language) is not None:
        return f"Content in this language already exists: {name} ({language})"
    return None


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
        if kind not in MESSAGING_TYPES:
            return "(#100) messaging_type is required"
        if (kind == "MESSAGE_TAG") != bool(body.get("tag")):
            return "(#100) tag goes with messaging_type MESSAGE_TAG only"
        if kind == "MESSAGE_TAG" and body["tag"] not in TAGS:  # the retired event-update tags included
            return INVALID_PARAMETER
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
        rendered = None
        if body.get("messaging_type") == "UTILITY" or \
                ((body.get("message") or {}).get("attachment") or {}).get("payload", {}).get("template_type") == "utility_messages":
            if body.get("messaging_type") != "UTILITY":
                return _fb_error(400, 100, INVALID_PARAMETER, user_message="a utility template goes with messaging_type UTILITY")
            problem, rendered = _check_template_message(state, body["message"])
            if problem:
                return _fb_error(400, 100, INVALID_PARAMETER, user_message=problem)
        message_id = f"m_{uuid.uuid4().hex}"
        with state.lock:
            record = {"id": next(state.ids), "recipient": key, "message_id": message_id, "body": body,
                      "received_at": time.time()}
            if rendered is not None:
                record["rendered"] = rendered
            state.messages.append(record)
            state.lock.notify_all()
        return jsonify(recipient_id=recipient.get("id") or "commenter", message_id=message_id)

    @app.get("/me")
    def me():
        return gate("me") or jsonify(id=state.page_id, name="Opengovthailand (fake)")

    def page_or_error(page_id: str):
        if page_id not in (state.page_id, "me"):
            return _fb_error(400, 100, f"(#100) Unsupported request: object {page_id} does not exist or is not this Page",
                             subcode=33)
        return None

    @app.post("/<page_id>/message_templates")
    def create_template(page_id: str):
        refused = gate("message_templates") or page_or_error(page_id)
        if refused:
            return refused
        body = request.get_json(silent=True)
        if not isinstance(body, dict):
            return _fb_error(400, 100, "(#100) body must be JSON")
        problem = _check_new_template(state, body)
        if problem:
            return _fb_error(400, 100, INVALID_PARAMETER, subcode=2018416 if "buttons" in problem else None,
                             user_message=problem)
        with state.lock:
            template = {"id": str(next(state.template_ids)), "name": body["name"], "language": body["language"],
                        "category": "UTILITY", "status": "PENDING", "rejected_reason": "NONE",
                        "components": body["components"], "created_at": time.time()}
            state.templates[template["id"]] = template
            review, delay = state.review, state.approval_delay
        text = next(c["text"] for c in body["components"] if str(c.get("type", "")).upper() == "BODY")
        if review != "pending":
            verdict = ("REJECTED", "INCORRECT_CATEGORY") if review == "reject" or MARKETING_WORDS.search(text) \
                else ("APPROVED", "NONE")
            timer = threading.Timer(delay, state.set_template_status, args=(template["id"], *verdict))
            timer.daemon = True
            timer.start()
        return jsonify(id=template["id"], status="PENDING", category="UTILITY")

    @app.get("/<page_id>/message_templates")
    def list_templates(page_id: str):
        refused = gate("message_templates") or page_or_error(page_id)
        if refused:
            return refused
        name, language = request.args.get("name"), request.args.get("language")
        limit = max(1, min(request.args.get("limit", 25, type=int) or 25, 100))
        after = request.args.get("after", 0, type=int) or 0
        with state.lock:
            found = [{k: v for k, v in t.items() if k != "created_at"} for t in state.templates.values()
                     if (name is None or t["name"] == name) and (language is None or t["language"] == language)]
        page = found[after:after + limit]
        answer: dict[str, Any] = {"data": page, "paging": {"cursors": {"before": str(after), "after": str(after + len(page))}}}
        if after + limit < len(found):
            answer["paging"]["next"] = f"{request.base_url}?after={after + limit}&limit={limit}"
        return jsonify(answer)

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
        if fault.get("kind") == "page_restricted":  # until the faults are cleared, unless a count is given
            fault = {**RESTRICTED, "path": "messages", **{k: v for k, v in fault.items() if k != "kind"}}
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
            if "review" in config:
                state.review = config["review"]
            if "approval_delay" in config:
                state.approval_delay = float(config["approval_delay"])
            if "webhook" in config:
                state.webhook = config["webhook"]
        return jsonify(ok=True)

    @app.get("/_fake/templates")
    def all_templates():
        with state.lock:
            return jsonify(templates=list(state.templates.values()))

    @app.post("/_fake/templates/<template_id>/status")
    def change_template(template_id: str):
        change = request.get_json(force=True)
        changed = state.set_template_status(template_id, change["status"], change.get("reason", "NONE"))
        return (jsonify(changed), 200) if changed else (jsonify(error="no such template"), 404)

    @app.put("/_fake/profiles/<psid>")
    def put_profile(psid: str):
        with state.lock:
            state.profiles[psid] = request.get_json(force=True)
        return jsonify(ok=True)

    @app.get("/_fake/stats")
    def stats():
        with state.lock:
            return jsonify(messages=len(state.messages), calls=state.calls, send_attempts=state.send_attempts,
                           profile_posts=state.profile_posts, templates=len(state.templates),
                           deliveries=state.deliveries)

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
