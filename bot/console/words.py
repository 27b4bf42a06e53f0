"""Plain words on every console page: the code's ids ("student", "3", "everyone", "done", "handover_reply",
"how_to_join (0.36)") become the labels organisers wrote in content/texts.toml, in Thai and English.

Templates call `say(kind, value)` ("role", "topic", "status", "broadcast_state", "poll_state", "segment",
"faq_outcome", "audit", "reason", "qa_state", "statement_status"). A value the content has no label for is shown as the organisers' id with its underscores
as spaces, never as a crash: the content is edited while the bot runs.
"""
from __future__ import annotations

from flask import Flask

from ..domain.reports.labels import Labels
from ..web import runtime as bot

KEYS = {"role": "role_{}", "topic": "topic_{}", "status": "status_{}", "broadcast_state": "broadcast_state_{}",
        "poll_state": "poll_state_{}", "qa_state": "qa_state_{}", "statement_status": "statement_status_{}",
        "faq_outcome": "faq_outcome_{}", "audit": "audit_{}"}


def both(th: str, en: str) -> str:
    """"ไทย / English", once when the two are the same."""
    return th if th == en else f"{th} / {en}"


def label(kind: str, value) -> tuple[str, str]:
    """(Thai, English) for one id of a kind (see the module docstring)."""
    value = "" if value is None else str(value)
    if kind == "segment":
        return segment(value)
    if kind == "reason":
        return reason(value)
    texts = bot().content.texts
    key = KEYS[kind].format(value)
    if key not in texts.entries:
        plain = value.replace("_", " ") or "-"
        return plain, plain
    if kind == "topic":  # "3) การเรียนการสอน / Learning": the number once
        return f"{value}) {texts.get(key, 'th')}", texts.get(key, "en")
    return texts.get(key, "th"), texts.get(key, "en")


def segment(value: str) -> tuple[str, str]:
    """A broadcast's audience ("topic:3", "session:final-pitch", "language:en") in words."""
    labels = Labels(bot().content.texts)
    kind, _, arg = value.partition(":")
    if kind == "topic":
        topic = labels.topic(arg)
        made = labels.of("segment_topic", topic=f"{topic.th}")
        return made.th, labels.of("segment_topic", topic=topic.en).en
    if kind == "session":
        titles = {s.id: s.title for s in bot().content["agenda"].sessions}
        title = titles.get(arg, {"th": arg, "en": arg})
        return labels.of("segment_session", session=title["th"]).th, labels.of("segment_session", session=title["en"]).en
    made = labels.of(f"segment_{kind}_{arg}" if arg else f"segment_{kind}", fallback=value)
    return made.th, made.en


# Why a message was not sent, as the outbox records it (bot/messenger/outbox.py, sender.py): its words' key, by start.
REASONS = {"outside the 24-hour window": "reason_outside_window", "no approved template": "reason_no_template",
           "broadcast cancelled": "reason_cancelled", "refused by Facebook": "reason_refused",
           "outside_window": "reason_outside_window", "cancelled": "reason_cancelled",
           "user_unavailable": "reason_user_unavailable", "no_matching_user": "reason_user_unavailable"}


def reason(value: str) -> tuple[str, str]:
    """A skipped or failed message's reason in words (Thai, English), with the detail after the known start kept
    ("no approved template (event_update_th: PENDING)" -> "... (event_update_th: PENDING)")."""
    texts = bot().content.texts
    start = next((s for s in REASONS if value.startswith(s)), None)
    if start is None:
        return value, value
    detail = value[len(start):].strip(" :")
    if start == "outside the 24-hour window":  # "... and no permitted tag": all said by the words
        detail = ""
    rest = f" ({detail})" if detail and not detail.startswith("(") else f" {detail}" if detail else ""
    return texts.get(REASONS[start], "th") + rest, texts.get(REASONS[start], "en") + rest


def say(kind: str, value) -> str:
    return both(*label(kind, value))


def install(app: Flask) -> None:
    app.add_template_global(say, "say")
