"""Playing Facebook's side: build webhook events, sign and post them, read what the bot sent to the fake.

Used by `flask chat`, the tests, the benchmarks and the FAQ evaluation, so that all of them go through the
real signed webhook exactly as Facebook would.
"""
from __future__ import annotations

import json
import time
import uuid
from typing import Any

import requests

from .webhook import sign

PAGE_ID = "100000000000001"
LIKE_STICKER = 369239263222822


def _now_ms() -> int:
    return int(time.time() * 1000)


def _mid() -> str:
    return f"m_sim_{uuid.uuid4().hex}"


def messaging(psid: str, kind: str, body: dict, timestamp: int | None = None) -> dict:
    return {"sender": {"id": psid}, "recipient": {"id": PAGE_ID}, "timestamp": timestamp or _now_ms(), kind: body}


def text(psid: str, words: str, mid: str | None = None, timestamp: int | None = None) -> dict:
    return messaging(psid, "message", {"mid": mid or _mid(), "text": words}, timestamp)


def quick_reply(psid: str, title: str, payload: str, mid: str | None = None) -> dict:
    return messaging(psid, "message", {"mid": mid or _mid(), "text": title, "quick_reply": {"payload": payload}})


def postback(psid: str, payload: str, title: str = "", ref: str | None = None, mid: str | None = None) -> dict:
    body: dict[str, Any] = {"mid": mid or _mid(), "title": title or payload, "payload": payload}
    if ref is not None:
        body["referral"] = {"ref": ref, "source": "SHORTLINK", "type": "OPEN_THREAD"}
    return messaging(psid, "postback", body)


def referral(psid: str, ref: str) -> dict:
    return messaging(psid, "referral", {"ref": ref, "source": "SHORTLINK", "type": "OPEN_THREAD"})


def sticker(psid: str, sticker_id: int = 126361874215276) -> dict:
    """A sticker as Facebook sends it since 30 August 2026: only an attachment of type `sticker`, `sticker_id` in its
    payload (Messenger Platform changelog, 1 June 2026)."""
    return messaging(psid, "message", {"mid": _mid(), "attachments": [{"type": "sticker", "payload": {
        "url": f"https://scontent.xx.fbcdn.net/v/sticker/{sticker_id}.png", "sticker_id": sticker_id}}]})


def sticker_before_2026(psid: str, sticker_id: int = 126361874215276) -> dict:
    """The shape stickers had until the 2026 transition (`sticker_id` beside an `image` attachment): replays and
    old events in the inbox still come this way."""
    return messaging(psid, "message", {"mid": _mid(), "sticker_id": sticker_id,
                                       "attachments": [{"type": "image", "payload": {"sticker_id": sticker_id}}]})


def image(psid: str) -> dict:
    return messaging(psid, "message", {"mid": _mid(), "attachments": [{"type": "image", "payload": {"url": "https://example.org/a.jpg"}}]})


def page_body(events: list[dict] | None = None, changes: list[dict] | None = None) -> dict:
    entry: dict[str, Any] = {"id": PAGE_ID, "time": _now_ms()}
    if events is not None:
        entry["messaging"] = events
    if changes is not None:
        entry["changes"] = changes
    return {"object": "page", "entry": [entry]}


def encode(body: dict) -> bytes:
    """As Facebook sends it: compact JSON with non-ASCII escaped (\\uXXXX)."""
    return json.dumps(body, separators=(",", ":")).encode()


class Webhook:
    """Posts bodies to the bot's /webhook, signed with the app secret (or not, to test refusals)."""

    def __init__(self, bot_url: str, app_secret: str, session: requests.Session | None = None):
        self.url = bot_url.rstrip("/") + "/webhook"
        self.app_secret = app_secret
        self.http = session or requests.Session()

    def post(self, body: dict | bytes, signature: str | None = "valid", timeout: float = 10) -> requests.Response:
        raw = body if isinstance(body, bytes) else encode(body)
        headers = {"Content-Type": "application/json"}
        if signature == "valid":
            headers["X-Hub-Signature-256"] = sign(raw, self.app_secret)
        elif signature is not None:
            headers["X-Hub-Signature-256"] = signature
        return self.http.post(self.url, data=raw, headers=headers, timeout=timeout)

    def send(self, *events: dict) -> requests.Response:
        response = self.post(page_body(list(events)))
        response.raise_for_status()
        return response


class FakeGraph:
    """The control side of the fake Graph API: what was sent, and faults to inject."""

    def __init__(self, graph_url: str, session: requests.Session | None = None):
        self.url = graph_url.rstrip("/")
        self.http = session or requests.Session()

    def messages(self, recipient: str | None = None, after: int = 0, wait: float = 0) -> list[dict]:
        params: dict[str, Any] = {"after": after, "wait": wait}
        if recipient is not None:
            params["recipient"] = recipient
        return self.http.get(f"{self.url}/_fake/messages", params=params, timeout=wait + 10).json()["messages"]

    def wait_for(self, count: int, recipient: str | None = None, timeout: float = 10.0, after: int = 0) -> list[dict]:
        """Wait until at least `count` messages (to `recipient`) have arrived; return them all."""
        deadline = time.time() + timeout
        found = self.messages(recipient, after)
        while len(found) < count and time.time() < deadline:
            time.sleep(0.02)
            found = self.messages(recipient, after)
        return found

    def quiet_then(self, recipient: str | None = None, quiet: float = 0.5, timeout: float = 10.0) -> list[dict]:
        """All messages once none has arrived for `quiet` seconds."""
        deadline = time.time() + timeout
        found = self.messages(recipient)
        settled_at = time.time()
        while time.time() < deadline:
            time.sleep(0.05)
            now = self.messages(recipient)
            if len(now) != len(found):
                found, settled_at = now, time.time()
            elif time.time() - settled_at >= quiet:
                break
        return found

    def fault(self, **rule: Any) -> None:
        self.http.post(f"{self.url}/_fake/faults", json=rule, timeout=5).raise_for_status()

    def clear_faults(self) -> None:
        self.http.delete(f"{self.url}/_fake/faults", timeout=5).raise_for_status()

    def configure(self, **config: Any) -> None:
        self.http.post(f"{self.url}/_fake/config", json=config, timeout=5).raise_for_status()

    def set_profile(self, psid: str, **profile: Any) -> None:
        self.http.put(f"{self.url}/_fake/profiles/{psid}", json=profile, timeout=5).raise_for_status()

    def stats(self) -> dict:
        return self.http.get(f"{self.url}/_fake/stats", timeout=5).json()

    def templates(self) -> list[dict]:
        """The Page's utility message templates as the fake Meta holds them."""
        return self.http.get(f"{self.url}/_fake/templates", timeout=5).json()["templates"]

    def set_template_status(self, template_id: str, status: str, reason: str = "NONE") -> None:
        """Meta changes a template's status (and tells the bot through its webhook)."""
        self.http.post(f"{self.url}/_fake/templates/{template_id}/status", json={"status": status, "reason": reason},
                       timeout=15).raise_for_status()


def texts_of(messages: list[dict]) -> list[str]:
    """The visible text of each message (text, a template's text/titles, or a utility message as rendered)."""
    out = []
    for m in messages:
        if "rendered" in m:  # a utility message: its template's body with the parameters filled in
            out.append(m["rendered"])
            continue
        message = m["body"].get("message", {})
        if "text" in message:
            out.append(message["text"])
            continue
        payload = (message.get("attachment") or {}).get("payload") or {}
        if payload.get("template_type") == "button":
            out.append(payload["text"])
        elif payload.get("template_type") == "generic":
            out.append("\n".join(e["title"] + ("\n" + e["subtitle"] if e.get("subtitle") else "") for e in payload["elements"]))
    return out


def quick_replies_of(message: dict) -> list[dict]:
    return message["body"].get("message", {}).get("quick_replies", [])
