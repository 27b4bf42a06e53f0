"""The words of a report, from content/texts.toml: headings, sheet and column names (`report_*`), and the labels
of roles, topics, states, audiences and outcomes that the console and the chat share.

Organisers edit them like every other text; a label missing from the file stops the start (`REQUIRED`), as for
any text a feature needs.
"""
from __future__ import annotations

from datetime import date, datetime

from pythainlp.util import thai_strftime

from bot.domain.agenda import when
from bot.content import Texts

from .model import Label

PREFIX = "report_"
PARTS = ("summary", "by_role", "by_topic", "by_day", "teams", "broadcasts", "polls", "questions", "opinions",
         "faq_misses")
COLUMNS = ("item", "value", "key", "role", "topic", "day", "count", "share", "team", "members", "number", "time",
           "message", "audience", "state", "reach", "sent", "failed", "skipped", "pending", "utility", "reasons",
           "poll", "question", "option", "in_chat", "in_comments", "votes", "opened", "closed", "session", "asked",
           "approved", "answered", "upvotes", "round", "participants", "statements", "groups", "consensus",
           "times", "outcome", "closest", "last")
FIGURES = ("registered", "waitlisted", "teams", "broadcasts", "reach", "sent", "polls", "votes", "questions",
           "opinion_rounds", "faq_misses")
OTHER = ("title", "event", "organiser", "period", "generated", "page", "no_data", "sent_note")
DELIVERY = ("outside_window", "no_template", "cancelled", "unavailable", "failed")
REQUIRED = (tuple(PREFIX + k for k in OTHER + PARTS)
            + tuple(f"{PREFIX}sheet_{k}" for k in PARTS)
            + tuple(f"{PREFIX}col_{k}" for k in COLUMNS)
            + tuple(f"{PREFIX}fig_{k}" for k in FIGURES)
            + tuple(f"delivery_{k}" for k in DELIVERY)
            + ("segment_everyone", "segment_registered", "segment_topic", "segment_session", "segment_language_th",
               "segment_language_en", "faq_outcome_unsure", "faq_outcome_none"))


class Labels:
    """`Label`s from the texts: `labels.of("role_student")`, `labels.report()` for the headings."""

    def __init__(self, texts: Texts):
        self.texts = texts

    def of(self, key: str, fallback: str | None = None, **values) -> Label:
        """The text `key` in both languages; `fallback` (the code's id) when the content has no such text."""
        if fallback is not None and key not in self.texts.entries:
            return Label(fallback, fallback)
        return Label(self.texts.get(key, "th", **values), self.texts.get(key, "en", **values))

    def report(self) -> dict[str, Label]:
        """Every `report_*` text, keyed without the prefix ("by_role", "col_count", "sheet_polls"), with its
        placeholders as written ("หน้า {page} จาก {pages}": the writer fills them in)."""
        return {key[len(PREFIX):]: Label(self.texts.raw(key, "th"), self.texts.raw(key, "en"))
                for key in self.texts.entries if key.startswith(PREFIX)}

    def role(self, role: str) -> Label:
        return self.of(f"role_{role}", fallback=role)

    def topic(self, topic: str) -> Label:
        label = self.of(f"topic_{topic}", fallback=topic)
        return Label(f"{topic}) {label.th}", f"{topic}) {label.en}") if topic.isdigit() else label


def day_label(day: date) -> Label:
    """"17 ก.ค. 2563" / "17 Jul 2020": Thai readers count years in the Buddhist era."""
    moment = datetime(day.year, day.month, day.day)
    return Label(thai_strftime(moment, "%-d %b %Y"), moment.strftime("%-d %b %Y"))


def moment_label(moment: datetime) -> Label:
    """"17 ก.ค. 2563 เวลา 13:00 น." / "17 Jul 2020, 13:00"."""
    return Label(when(moment, "th"), when(moment, "en"))
