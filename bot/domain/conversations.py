"""A person's conversation as moderators read it in the hand-over inbox: what they sent (the inbox) and what the
Page sent (the outbox), and how a moderator may still answer them (Messenger's windows).

A moderator's reply goes through the outbox like everything else: `RESPONSE` inside the person's 24-hour window,
and up to 7 days after their last message under the `HUMAN_AGENT` tag, which Facebook allows for exactly this (a
person answering a person). Past 7 days the outbox records it as not sendable, and the page says so first.
"""
from __future__ import annotations

import json

from .. import inbox
from ..messenger import outbox, people
from ..messenger.events import sticker_of
from ..messenger.outbox import HUMAN_AGENT_SECONDS, WINDOW_SECONDS, Outgoing, enqueue
from ..messenger.replies import Text
from ..privacy import ERASED_NOTE

REPLY_LIMIT = 2000


def incoming_text(kind: str, event: dict) -> str:
    """What a person sent, in one line: their text, a button's title, [sticker], [image, file]..."""
    if event.get("erased"):
        return ERASED_NOTE
    if kind == "postback":
        return f"[{event.get('postback', {}).get('title') or 'ปุ่ม / button'}]"
    message = event.get("message") or {}
    if message.get("text"):
        return message["text"]
    attachments = tuple(a for a in message.get("attachments") or [] if isinstance(a, dict))
    if sticker_of(message, attachments) is not None:
        return "[สติกเกอร์ / sticker]"
    return f"[{', '.join(a.get('type', '?') for a in attachments) or kind}]"


def _outgoing_text(request_json: str) -> str:
    body = json.loads(request_json)
    if body.get("erased"):
        return ERASED_NOTE
    message = body.get("message") or {}
    if "text" in message:
        return message["text"]
    payload = (message.get("attachment") or {}).get("payload") or {}
    if payload.get("text"):
        return payload["text"]
    titles = [e.get("title", "") for e in payload.get("elements", [])]
    return f"[{', '.join(titles) or 'template'}]"


def history(conn, psid: str, limit: int = 100) -> list[dict]:
    """The conversation as the person saw it, oldest first: {at, mine, text} (+ status, by_person for the Page's)."""
    items = [{"at": row["received_at"], "mine": False, "text": incoming_text(row["kind"], json.loads(row["event"]))}
             for row in inbox.history(conn, psid, limit)]
    items += [{"at": row["created_at"], "mine": True, "text": _outgoing_text(row["request"]), "status": row["status"],
               "by_person": (row["batch"] or "").startswith("console:")} for row in outbox.history(conn, psid, limit)]
    return sorted(items, key=lambda item: item["at"])[-limit:]


def last_message(conn, psid: str) -> str:
    """The person's last message in one line ("-": none)."""
    last = inbox.last_messages(conn, psid)
    return incoming_text("message", last[0]) if last else "-"


def person(conn, psid: str):
    """The person's row (people.py), or None when the Page never heard of them."""
    return people.get(conn, psid)


def window(user, now: float) -> tuple[str, int]:
    """("open" | "human_agent" | "closed", hours left in the 24-hour window) for a person's row."""
    age = now - (user["last_interaction_at"] or 0)
    state = "open" if age < WINDOW_SECONDS else ("human_agent" if age < HUMAN_AGENT_SECONDS else "closed")
    return state, max(0, int((WINDOW_SECONDS - age) // 3600))


def reply(conn, psid: str, text: str, moderator: str) -> None:
    """A moderator answers as the Page: RESPONSE inside the window, HUMAN_AGENT up to 7 days after."""
    enqueue(conn, psid, [Outgoing(Text(text), intent="RESPONSE", tag="HUMAN_AGENT")], batch=f"console:{moderator}")
