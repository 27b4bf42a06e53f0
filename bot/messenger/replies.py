"""What a handler can say, as a small typed model that cannot break Messenger's limits.

Counts are structural and raise `ValueError` when exceeded (a handler that builds 14 quick replies has a bug
and a test should catch it: page the list instead). Lengths depend on content organisers edit, so they are
fitted instead: long text is split into several messages at paragraph, line or sentence breaks, and titles are
shortened with an ellipsis at a grapheme boundary (never between a Thai consonant and its vowel mark, never
inside an emoji).

Lengths are counted in UTF-16 code units, as Facebook's limits are, so an emoji counts two.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Sequence

import regex

TEXT_LIMIT = 2000
QUICK_REPLY_COUNT = 13
QUICK_REPLY_TITLE = 20
BUTTON_COUNT = 3
BUTTON_TITLE = 20
BUTTON_TEXT = 640
CARD_COUNT = 10
CARD_TITLE = 80
CARD_SUBTITLE = 80
PAYLOAD_LIMIT = 1000
SENDER_ACTIONS = ("typing_on", "typing_off", "mark_seen")

_GRAPHEME = regex.compile(r"\X")


def units(text: str) -> int:
    """Length as Facebook counts it (UTF-16 code units)."""
    return len(text.encode("utf-16-le")) // 2


def fit(text: str, limit: int) -> str:
    """`text` shortened to at most `limit` units, ending in an ellipsis if cut, at a grapheme boundary."""
    text = text.strip()
    if units(text) <= limit:
        return text
    return _prefix(text, limit - 1).rstrip() + "…"


def _prefix(text: str, limit: int) -> str:
    """The longest run of whole graphemes from the start of `text` within `limit` units."""
    taken, size = [], 0
    for cluster in _GRAPHEME.findall(text):
        n = units(cluster)
        if size + n > limit:
            break
        taken.append(cluster)
        size += n
    return "".join(taken)


_BREAKS = (
    regex.compile(r"\n\s*\n"),  # paragraph
    regex.compile(r"\n"),  # line
    regex.compile(r"(?<=[.!?。…])\s+|(?<=[ๆฯ])\s+"),  # sentence (Thai sentences end with a space)
    regex.compile(r"\s+"),  # word (Thai: a space between phrases)
)


def split_text(text: str, limit: int = TEXT_LIMIT) -> list[str]:
    """Split `text` into chunks of at most `limit` units at the most natural break available."""
    text = text.strip()
    chunks: list[str] = []
    while units(text) > limit:
        window = _prefix(text, limit)
        cut = 0
        for pattern in _BREAKS:
            ends = [m for m in pattern.finditer(window) if m.start() >= len(window) * 0.3]
            if ends:
                cut = ends[-1].start()
                rest = ends[-1].end()
                break
        if not cut:  # no break at all in a long run: cut between graphemes
            cut = rest = len(window)
        chunks.append(text[:cut].rstrip())
        text = text[rest:].lstrip()
    if text:
        chunks.append(text)
    return chunks


def _payload(payload: str) -> str:
    if not payload or units(payload) > PAYLOAD_LIMIT:
        raise ValueError(f"payload must be 1 to {PAYLOAD_LIMIT} characters, got {len(payload)}")
    return payload


# -- pieces ----------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class QuickReply:
    title: str
    payload: str

    def to_api(self) -> dict:
        return {"content_type": "text", "title": fit(self.title, QUICK_REPLY_TITLE), "payload": _payload(self.payload)}


@dataclass(frozen=True)
class ContactQuickReply:
    """Messenger's own button offering the person's e-mail or phone number from their profile.

    Tapped, it arrives as a quick reply whose payload is the address or number itself.
    """

    kind: str  # "user_email" | "user_phone_number"

    def to_api(self) -> dict:
        if self.kind not in ("user_email", "user_phone_number"):
            raise ValueError(f"unknown contact quick reply {self.kind!r}")
        return {"content_type": self.kind}


@dataclass(frozen=True)
class PostbackButton:
    title: str
    payload: str

    def to_api(self) -> dict:
        return {"type": "postback", "title": fit(self.title, BUTTON_TITLE), "payload": _payload(self.payload)}


@dataclass(frozen=True)
class UrlButton:
    title: str
    url: str

    def to_api(self) -> dict:
        if not self.url.startswith(("https://", "http://")):
            raise ValueError(f"button URL must be http(s): {self.url!r}")
        return {"type": "web_url", "title": fit(self.title, BUTTON_TITLE), "url": self.url}


Button = PostbackButton | UrlButton


def _quick_replies(items: Sequence["QuickReply | ContactQuickReply"]) -> list[dict]:
    if len(items) > QUICK_REPLY_COUNT:
        raise ValueError(f"at most {QUICK_REPLY_COUNT} quick replies, got {len(items)}")
    return [q.to_api() for q in items]


def _buttons(items: Sequence[Button], minimum: int = 1) -> list[dict]:
    if not (minimum <= len(items) <= BUTTON_COUNT):
        raise ValueError(f"{minimum} to {BUTTON_COUNT} buttons, got {len(items)}")
    return [b.to_api() for b in items]


# -- replies ---------------------------------------------------------------------------------------------
class Reply:
    """Base: a reply turns into one or more Send API requests (without recipient and messaging_type)."""

    def to_requests(self) -> list[dict]:
        raise NotImplementedError


def _with_quick_replies(requests: list[dict], quick_replies: Sequence[QuickReply]) -> list[dict]:
    qr = _quick_replies(quick_replies)
    if qr:
        requests[-1]["message"]["quick_replies"] = qr  # Messenger shows them under the last message only
    return requests


@dataclass(frozen=True)
class Text(Reply):
    text: str
    quick_replies: Sequence[QuickReply] = ()

    def to_requests(self) -> list[dict]:
        chunks = split_text(self.text)
        if not chunks:
            raise ValueError("a text reply needs text")
        return _with_quick_replies([{"message": {"text": c}} for c in chunks], self.quick_replies)


@dataclass(frozen=True)
class Buttons(Reply):
    """Button template: text with 1 to 3 buttons. Text over 640 goes first as plain messages."""

    text: str
    buttons: Sequence[Button]
    quick_replies: Sequence[QuickReply] = ()

    def to_requests(self) -> list[dict]:
        buttons = _buttons(self.buttons)
        chunks = split_text(self.text, BUTTON_TEXT)
        if not chunks:
            raise ValueError("a button template needs text")
        lead = [{"message": {"text": c}} for c in split_text("\n".join(chunks[:-1]))] if len(chunks) > 1 else []
        template = {
            "message": {
                "attachment": {
                    "type": "template",
                    "payload": {"template_type": "button", "text": chunks[-1], "buttons": buttons},
                }
            }
        }
        return _with_quick_replies(lead + [template], self.quick_replies)


@dataclass(frozen=True)
class Card:
    title: str
    subtitle: str | None = None
    image_url: str | None = None
    buttons: Sequence[Button] = ()

    def to_api(self) -> dict:
        card = {"title": fit(self.title, CARD_TITLE)}
        if self.subtitle:
            card["subtitle"] = fit(self.subtitle, CARD_SUBTITLE)
        if self.image_url:
            card["image_url"] = self.image_url
        if self.buttons:
            card["buttons"] = _buttons(self.buttons)
        return card


@dataclass(frozen=True)
class Cards(Reply):
    """Generic template: a carousel of 1 to 10 cards."""

    cards: Sequence[Card]
    quick_replies: Sequence[QuickReply] = ()

    def to_requests(self) -> list[dict]:
        if not (1 <= len(self.cards) <= CARD_COUNT):
            raise ValueError(f"1 to {CARD_COUNT} cards, got {len(self.cards)}")
        message = {
            "attachment": {
                "type": "template",
                "payload": {"template_type": "generic", "elements": [c.to_api() for c in self.cards]},
            }
        }
        return _with_quick_replies([{"message": message}], self.quick_replies)


@dataclass(frozen=True)
class SenderAction(Reply):
    """typing_on, typing_off or mark_seen; Facebook wants these alone in a request."""

    action: str = "typing_on"

    def to_requests(self) -> list[dict]:
        if self.action not in SENDER_ACTIONS:
            raise ValueError(f"sender action must be one of {SENDER_ACTIONS}, got {self.action!r}")
        return [{"sender_action": self.action}]


@dataclass(frozen=True)
class Outgoing:
    """A reply addressed by the handler to someone other than the event's sender, or with its own rules.

    `tag` lets a message go outside the 24-hour window where Facebook permits it (only HUMAN_AGENT since 27 April
    2026). `utility` is what goes instead outside the window: a utility message's fallback
    (`MessageTemplate.fallback`, bot/messenger/utility_messages.py), sent if its template is approved.
    `recipient` may be {"comment_id": ...} for a private reply to a comment.
    """

    reply: Reply
    recipient: dict = field(default_factory=dict)
    intent: str = "UPDATE"
    tag: str | None = None
    dedup_key: str | None = None
    utility: dict | None = None
