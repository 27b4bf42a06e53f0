"""Webhook events: from Facebook's batch to inbox rows, and from an inbox row to the typed `Event` handlers see.

Every event of every entry is kept, `messaging` and `changes` alike, including kinds we do not handle yet
(the row says what it was; nothing is dropped on the floor). The de-duplication key follows Facebook's own
identities: the message `mid` where there is one, otherwise sender + timestamp + kind; a feed change is keyed
by its content and the entry time, which a redelivery repeats exactly.
"""
from __future__ import annotations

import hashlib
import json
import math
import re
from dataclasses import dataclass, field
from typing import Any, Iterator

# Kinds that are facts about our own messages, never questions to answer.
SILENT_KINDS = frozenset({"echo", "delivery", "read", "reaction", "standby", "unknown"})
# Kinds by which a person opens or refreshes Messenger's 24-hour window.
INTERACTION_KINDS = frozenset({"message", "postback", "referral", "optin"})
# The webhook field that reports Meta's approval of the Page's utility message templates ("Send a utility
# message", Messenger Platform docs, updated 13 Mar 2026).
TEMPLATE_STATUS_FIELD = "message_template_status_update"
# Facebook's "like" thumbs (small, medium, large) arrive as stickers.
LIKE_STICKERS = frozenset({369239263222822, 369239343222814, 369239383222810})

_MESSAGING_KINDS = (
    "message", "postback", "referral", "delivery", "read", "reaction", "optin",
    "account_linking", "pass_thread_control", "take_thread_control", "request_thread_control",
    "policy_enforcement", "game_play",
)


@dataclass(frozen=True)
class InboxRow:
    dedup_key: str
    psid: str
    kind: str
    event: str  # compact JSON of the event (and for changes: {"field", "value", "time"})
    occurred_at: float
    page_id: str = ""  # the entry's id: the Page the event is for (one app may serve several Pages)


def _seconds(stamp: Any, fallback: float) -> float:
    """Facebook mixes milliseconds (messaging) and seconds (feed); both become seconds."""
    try:
        value = float(stamp)
    except (TypeError, ValueError, OverflowError):  # OverflowError: an integer of 400 digits
        return fallback
    if not math.isfinite(value) or value <= 0:
        return fallback
    return value / 1000.0 if value > 1e11 else value


# A lone UTF-16 surrogate: JSON's "\\ud800" decodes to one, and UTF-8 (SQLite, every log line) cannot encode it.
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def _clean(text: str) -> str:
    """`text` with every lone surrogate replaced by U+FFFD (trying the encoding first: it is C-fast and nearly
    always succeeds, where a regular expression would scan every event's text)."""
    try:
        text.encode("utf-8")
        return text
    except UnicodeEncodeError:
        return _LONE_SURROGATE.sub("\ufffd", text)


def _compact(data: Any) -> str:
    """Compact JSON, as stored; characters that cannot be stored as is become U+FFFD (the Unicode replacement)."""
    return _clean(json.dumps(data, ensure_ascii=False, separators=(",", ":"), sort_keys=True))


def _messaging_kind(event: dict) -> str:
    message = event.get("message")
    if isinstance(message, dict) and message.get("is_echo"):
        return "echo"
    for kind in _MESSAGING_KINDS:
        if kind in event:
            return kind
    return "unknown"


def _id(obj: Any) -> str:
    if isinstance(obj, dict):
        value = obj.get("id")
        if isinstance(value, (str, int)) and not isinstance(value, bool):
            return str(value)
    return ""


def split_batch(body: dict, received_at: float) -> list[InboxRow]:
    """All events of a `page` webhook body, in the order Facebook sent them."""
    return list(_rows(body, received_at))


def _rows(body: dict, received_at: float) -> Iterator[InboxRow]:
    entries = body.get("entry")
    if not isinstance(entries, list):
        return
    for entry in entries:
        if not isinstance(entry, dict):
            continue
        page_id = _clean(_id(entry))
        for source in ("messaging", "standby"):
            events = entry.get(source)
            if not isinstance(events, list):
                continue
            for event in events:
                if isinstance(event, dict):
                    yield _messaging_row(event, "standby" if source == "standby" else None, received_at, page_id)
        changes = entry.get("changes")
        if isinstance(changes, list):
            for change in changes:
                if isinstance(change, dict):
                    yield _change_row(change, entry.get("time"), received_at, page_id)





def _messaging_row(event: dict, forced_kind: str | None, received_at: float, page_id: str) -> InboxRow:
    kind = forced_kind or _messaging_kind(event)
    sender, recipient = _id(event.get("sender")), _id(event.get("recipient"))
    psid = recipient if kind == "echo" else sender  # an echo is the Page talking to the user
    stamp = event.get("timestamp")
    body = event.get(kind) if isinstance(event.get(kind), dict) else {}
    mid = body.get("mid") if kind in ("message", "echo", "postback") else None
    if isinstance(mid, str) and mid:
        key = f"mid:{mid}" if kind != "postback" else f"postback:{mid}"
    else:
        key = f"{kind}:{sender}:{recipient}:{stamp}"
        if stamp is None:  # nothing stable to key on: fall back on the content itself
            key += ":" + hashlib.sha256(_compact(event).encode()).hexdigest()[:32]
    return InboxRow(_clean(key), _clean(psid) or "unknown", kind, _compact(event), _seconds(stamp, received_at), page_id)


def _change_row(change: dict, entry_time: Any, received_at: float, page_id: str) -> InboxRow:
    field_name = _clean(str(change.get("field") or "unknown"))
    value = change.get("value") if isinstance(change.get("value"), dict) else {}
    item = _clean(str(value.get("item") or "unknown"))
    if field_name == TEMPLATE_STATUS_FIELD:
        kind = "template_status"  # Meta's verdict on one of the Page's utility message templates
    else:
        kind = "comment" if (field_name, item) == ("feed", "comment") else f"{field_name}:{item}"
    psid = _clean(_id(value.get("from"))) or "page-feed"
    wrapped = {"field": field_name, "value": change.get("value"), "time": entry_time}
    compact = _compact(wrapped)
    digest = hashlib.sha256(compact.encode()).hexdigest()[:32]
    occurred = _seconds(value.get("created_time", entry_time), received_at)
    return InboxRow(f"change:{field_name}:{digest}", psid, kind, compact, occurred, page_id)


def _sticker_number(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if 0 < value < 2**63 else None
    if isinstance(value, str) and value.isascii() and value.isdigit() and len(value) < 19:
        return int(value)
    return None


def sticker_of(message: dict, attachments: tuple) -> int | None:
    """The sticker a message carries, in any of the shapes Facebook has used.

    Since 30 August 2026 a sticker (the like thumb included) arrives only as an attachment of type `sticker`
    with `sticker_id` in its payload (Messenger Platform changelog, 1 June 2026: "webhook change with sticker
    attachment type", a 90-day transition). Before, it came as `message.sticker_id` beside an `image`
    attachment; both older shapes are still understood, for replays and old events in the inbox.
    """
    for attachment in attachments:
        if attachment.get("type") == "sticker" and isinstance(attachment.get("payload"), dict):
            number = _sticker_number(attachment["payload"].get("sticker_id"))
            if number is not None:
                return number
    number = _sticker_number(message.get("sticker_id"))
    if number is not None:
        return number
    for attachment in attachments:
        if attachment.get("type") == "image" and isinstance(attachment.get("payload"), dict):
            number = _sticker_number(attachment["payload"].get("sticker_id"))
            if number is not None:
                return number
    return None


@dataclass(frozen=True)
class Event:
    """One event as a handler sees it. Fields that do not apply to the kind are empty."""

    inbox_id: int
    psid: str
    kind: str
    timestamp: float
    raw: dict = field(repr=False)
    text: str = ""
    payload: str = ""  # quick reply or postback payload
    ref: str = ""  # m.me ?ref= (referral, or Get Started with a referral)
    mid: str = ""
    attachments: tuple = ()
    sticker_id: int | None = None
    page_id: str = ""  # the Page the event was for (the webhook entry's id)

    @property
    def is_like(self) -> bool:
        return self.sticker_id in LIKE_STICKERS

    @property
    def has_text(self) -> bool:
        return bool(self.text.strip())

    @classmethod
    def from_row(cls, inbox_id: int, psid: str, kind: str, event_json: str, occurred_at: float,
                 page_id: str | None = None) -> "Event":
        raw = json.loads(event_json)
        fields: dict[str, Any] = {"page_id": page_id or ""}
        if kind == "message":
            message = raw.get("message") or {}
            text = message.get("text")
            fields["text"] = text if isinstance(text, str) else ""
            fields["mid"] = str(message.get("mid") or "")
            qr = message.get("quick_reply")
            if isinstance(qr, dict) and isinstance(qr.get("payload"), str):
                fields["payload"] = qr["payload"]
            attachments = message.get("attachments")
            if isinstance(attachments, list):
                fields["attachments"] = tuple(a for a in attachments if isinstance(a, dict))
            sticker = sticker_of(message, fields.get("attachments", ()))
            if sticker is not None:
                fields["sticker_id"] = sticker
        elif kind == "postback":
            postback = raw.get("postback") or {}
            fields["payload"] = str(postback.get("payload") or "")
            fields["text"] = str(postback.get("title") or "")
            fields["mid"] = str(postback.get("mid") or "")
            referral = postback.get("referral")
            if isinstance(referral, dict):
                fields["ref"] = str(referral.get("ref") or "")
        elif kind == "referral":
            referral = raw.get("referral") or {}
            fields["ref"] = str(referral.get("ref") or "")
        elif kind == "comment":
            value = raw.get("value") or {}
            fields["text"] = str(value.get("message") or "")
        return cls(inbox_id=inbox_id, psid=psid, kind=kind, timestamp=occurred_at, raw=raw, **fields)
