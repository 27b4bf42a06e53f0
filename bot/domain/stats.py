"""The figures moderators watch: the console's dashboard, and "/stats" in Messenger.

Every figure comes from its table's owner; "today" is the day in TIMEZONE (since local midnight, not UTC's, which
is 07:00 in Bangkok).
"""
from __future__ import annotations

import time

from ..messenger import alerts, outbox, people, sender, utility_messages
from . import faq_misses, handover, polls, registrations, subscriptions
from .clock import day_start

DAY = 86400.0


def figures(conn, tz, now: float | None = None) -> dict:
    """Registrations (by status, role, topic), subscribers, people in the window, the outbox, FAQ misses today, the
    open poll's counts, people waiting for a person, messages held for want of an approved template."""
    now = time.time() if now is None else now
    by_status = registrations.counts(conn)["status"]
    open_now = polls.open_polls(conn)
    poll = open_now[-1] if open_now else None
    return {
        "registered": by_status.get("registered", 0),
        "waitlisted": by_status.get("waitlisted", 0),
        "by_role": registrations.by(conn, "role"),
        "by_topic": registrations.by(conn, "topic"),
        "subscribers": subscriptions.subscriber_count(conn),
        "in_window": people.in_window(conn, now - DAY),
        "outbox_backlog": outbox.backlog(conn),
        "outbox_failed": outbox.failed_since(conn, now - DAY),
        "misses_today": faq_misses.count(conn, day_start(now, tz)),
        "poll": {"id": poll.id, "question_th": poll.question["th"]} if poll else None,
        "poll_counts": list(zip([o["th"] for o in poll.options], polls.tally(conn, poll))) if poll else [],
        "waiting_for_person": handover.waiting_count(conn, now),
        "no_template": outbox.held_since(conn, now - DAY, utility_messages.NO_APPROVED_TEMPLATE),
    }


def platform_status(conn, content) -> dict:
    """What the Messenger Platform lets the bot do now: a paused sender (and why), the utility templates' statuses,
    the operator alerts of the last day."""
    templates = content.loaded().get("message_templates")
    return {"paused": sender.paused(conn),
            "templates": utility_messages.current(conn, templates) if templates is not None else [],
            "alerts": alerts.recent(conn)}


def as_message(f: dict) -> str:
    """The figures as one Messenger message for moderators."""
    lines = [
        f"Registered {f['registered']} (waitlist {f['waitlisted']})",
        "By role: " + (", ".join(f"{r['role']} {r['n']}" for r in f["by_role"]) or "-"),
        "By topic: " + (", ".join(f"{r['topic']} {r['n']}" for r in f["by_topic"]) or "-"),
        f"Subscribers {f['subscribers']} · in the 24 h window {f['in_window']}",
        f"Outbox backlog {f['outbox_backlog']} · failed 24 h {f['outbox_failed']}",
        f"FAQ misses today {f['misses_today']} · waiting for a person {f['waiting_for_person']}",
    ]
    if f["poll"] is not None:
        lines.append(f"Open poll {f['poll']['id']}: " + ", ".join(f"{label} {n}" for label, n in f["poll_counts"]))
    return "📊 " + "\n".join(lines)
