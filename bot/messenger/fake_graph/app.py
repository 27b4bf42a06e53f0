"""The fake Graph API's paths (Facebook's, and its control API under `/_fake/`), as a Flask app over a
`FakeGraphState`; the package's docstring lists both."""
from __future__ import annotations

import threading
import time
import uuid
from typing import Any

from flask import Flask, jsonify, request

from .rules import (INVALID_PARAMETER, MARKETING_WORDS, RESTRICTED, check_message, check_new_template,
                    check_template_message, fb_error)
from .state import FakeGraphState


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
            return fb_error(401, 190, "Error validating access token: The session has been invalidated.", 460)
        if fault and fault.get("status"):
            return fb_error(int(fault["status"]), int(fault.get("code") or 2), fault.get("message") or "injected fault",
                             fault.get("subcode"), bool(fault.get("transient")))
        return None

    @app.post("/me/messages")
    def send():
        body = request.get_json(silent=True)
        if not isinstance(body, dict):
            return fb_error(400, 100, "(#100) body must be JSON")
        recipient = body.get("recipient") or {}
        key = str(recipient.get("id") or f"comment:{recipient.get('comment_id')}")
        refused = gate("messages", key)
        if refused:
            return refused
        problem = check_message(body)
        if problem:
            return fb_error(400, 100, problem)
        rendered = None
        if body.get("messaging_type") == "UTILITY" or \
                ((body.get("message") or {}).get("attachment") or {}).get("payload", {}).get("template_type") == "utility_messages":
            if body.get("messaging_type") != "UTILITY":
                return fb_error(400, 100, INVALID_PARAMETER, user_message="a utility template goes with messaging_type UTILITY")
            problem, rendered = check_template_message(state, body["message"])
            if problem:
                return fb_error(400, 100, INVALID_PARAMETER, user_message=problem)
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
            return fb_error(400, 100, f"(#100) Unsupported request: object {page_id} does not exist or is not this Page",
                             subcode=33)
        return None

    @app.post("/<page_id>/message_templates")
    def create_template(page_id: str):
        refused = gate("message_templates") or page_or_error(page_id)
        if refused:
            return refused
        body = request.get_json(silent=True)
        if not isinstance(body, dict):
            return fb_error(400, 100, "(#100) body must be JSON")
        problem = check_new_template(state, body)
        if problem:
            return fb_error(400, 100, INVALID_PARAMETER, subcode=2018416 if "buttons" in problem else None,
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
            return fb_error(400, 100, "(#100) at most 4 ice breakers")
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
