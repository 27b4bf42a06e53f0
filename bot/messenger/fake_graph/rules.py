"""What Facebook refuses, as the fake applies it (the sources and their dates are in the package's docstring): a
Send API body (messaging types, tags, Messenger's limits), a utility message (its template must exist, be APPROVED
and get its parameters), a new utility template (WhatsApp's Message Templates API rules). Each check returns what
is wrong, or None.
"""
from __future__ import annotations

import re
import uuid

from flask import jsonify

from .. import replies as limits
from .state import FakeGraphState

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


def fb_error(status: int, code: int, message: str, subcode: int | None = None, transient: bool = False,
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


def check_template_message(state: FakeGraphState, message: dict) -> tuple[str | None, str | None]:
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


def check_new_template(state: FakeGraphState, body: dict) -> str | None:
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


def check_message(body: dict) -> str | None:
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
