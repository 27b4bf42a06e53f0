"""What the fake Graph API holds: the messages the bot sent, people's profiles, the Page's messenger profile and
utility templates, injected faults, and where Meta's template verdicts go (the bot's webhook)."""
from __future__ import annotations

import itertools
import json
import logging
import threading
import time
from typing import Any

import requests

from ..webhook import sign

log = logging.getLogger(__name__)

PAGE_ID = "100000000000001"


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
