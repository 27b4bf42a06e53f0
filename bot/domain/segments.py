"""Who a broadcast goes to: segments of the people who wrote to the Page, and how many of them it can reach.

    everyone | registered | topic:<1-4> | session:<id> | language:<th|en>

A topic is the people who chose it when registering and those who asked for its reminders; a session, those its
reminders go to (its subscribers, its topic's, and everything's). Inside the 24-hour window everyone gets a
broadcast; outside it only registered participants, as a utility message, and only for an event update whose
template is approved in their language (bot/messenger/utility_messages.py). People Facebook refused for good
are in no audience.
"""
from __future__ import annotations

import time
from dataclasses import dataclass

from ..messenger import people, utility_messages
from ..messenger.outbox import WINDOW_SECONDS
from ..messenger.people import Who
from . import registrations, subscriptions
from .agenda import TOPICS

KINDS = ("everyone", "registered", "topic", "session", "language")
UPDATE_TEMPLATE = "event_update"  # the utility template an event update goes as outside the window


class BroadcastError(ValueError):
    """A broadcast that cannot be made or changed as asked; the message says why, for a person."""


@dataclass(frozen=True)
class Segment:
    kind: str
    value: str = ""

    @classmethod
    def parse(cls, text: str, session_ids: set[str] | None = None) -> "Segment":
        kind, _, value = (text or "everyone").strip().partition(":")
        kind = kind.lower()
        if kind not in KINDS:
            raise BroadcastError(f"unknown segment {text!r}: use everyone, registered, topic:1-4, session:ID or language:th|en")
        if kind in ("everyone", "registered"):
            if value:
                raise BroadcastError(f"segment {kind} takes no value")
        elif kind == "topic" and value not in TOPICS:
            raise BroadcastError("segment topic needs a topic number 1 to 4, for example topic:2")
        elif kind == "language" and value not in ("th", "en"):
            raise BroadcastError("segment language needs th or en, for example language:en")
        elif kind == "session" and (not value or (session_ids is not None and value not in session_ids)):
            raise BroadcastError(f"segment session needs a session id of the agenda, got {value!r}")
        return cls(kind, value)

    def __str__(self) -> str:
        return f"{self.kind}:{self.value}" if self.value else self.kind

    def who(self, agenda=None) -> Who:
        """The segment's people, for people.audience and people.reach."""
        if self.kind == "everyone":
            return people.EVERYONE
        if self.kind == "registered":
            return registrations.registered()
        if self.kind == "language":
            return people.with_language(self.value)
        if self.kind == "topic":
            return Who(f"{registrations.of_topic(':value')} UNION {subscriptions.of_topic(':value')}",
                       {"value": self.value})
        session = agenda.get(self.value) if agenda is not None else None
        return Who(subscriptions.reminded_of_sql(":value", ":topic"),
                   {"value": self.value, "topic": session.topic if session is not None else ""})


@dataclass(frozen=True)
class Estimate:
    total: int  # people in the segment Facebook still lets us reach
    in_window: int  # inside their 24-hour window now: they get it
    utility: int  # registered, outside the window, get it as a utility message (event updates only)
    no_template: int  # registered, outside the window, event update, but no approved template in their language
    outside: int  # outside the window, no way to reach them: skipped
    unreachable: int  # in the segment, but Facebook refused them for good earlier

    @property
    def reachable(self) -> int:
        return self.in_window + self.utility


def approved_languages(conn, templates, template_id: str = UPDATE_TEMPLATE) -> list[str]:
    """The languages (th, en) in which `template_id` is APPROVED now."""
    if not templates or template_id not in templates:
        return []
    template = templates[template_id]
    return [lang for lang, code in utility_messages.LANGUAGE_CODES.items()
            if utility_messages.status_of(conn, template.name(lang), code)[0] == utility_messages.APPROVED]


def estimate(conn, segment: Segment, event_update: bool, agenda=None, now: float | None = None,
             templates=None) -> Estimate:
    """Who of the segment a broadcast would reach now, and why the others not."""
    now = time.time() if now is None else now
    reach = people.reach(conn, segment.who(agenda), registrations.registered(), now - WINDOW_SECONDS,
                         approved_languages(conn, templates))
    utility = reach.registered_outside_in if event_update else 0
    no_template = reach.registered_outside - reach.registered_outside_in if event_update else 0
    return Estimate(reach.total, reach.in_window, utility, no_template,
                    reach.total - reach.in_window - utility - no_template, reach.unreachable)
