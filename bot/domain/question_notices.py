"""What askers and upvoters are told when moderators decide about a question (no table of its own).

Approved, dismissed (with the reason) go to the asker; answered goes to the asker, the askers of the questions
merged into it and everyone who upvoted it (bot/domain/questions.py `to_tell`), with the time in the stream when
the moderator gave it. Each is a message of the UPDATE kind, never tagged: the outbox sends it inside the
person's 24-hour window and records it as not sendable outside (Facebook allows no tag for this). Each is queued
once per person and question (`dedup_key`), so a moderator who clicks twice tells nobody twice. The moderator's
surfaces (the console, the CLI, "/qa" in Messenger) call these in the transaction of their decision.
"""
from __future__ import annotations

import sqlite3

from ..messenger import people
from ..messenger.outbox import enqueue
from ..messenger.replies import Outgoing, QuickReply, Text
from .payloads import QA_LIST
from . import questions
from .questions import Question, to_tell


def _quote(question: Question) -> str:
    return question.text if len(question.text) <= 120 else question.text[:119] + "…"


def _tell(conn: sqlite3.Connection, texts, psid: str, key: str, dedup: str, **values) -> int:
    lang = people.language(conn, psid)
    more = QuickReply("📋 ดูคำถาม" if lang == "th" else "📋 See questions", QA_LIST.build())
    message = Text(texts.get(key, lang, **values), quick_replies=[more])
    return enqueue(conn, psid, [Outgoing(message, intent="UPDATE", dedup_key=f"{dedup}:{psid}")])


def approved(conn: sqlite3.Connection, texts, question: Question) -> int:
    if not (question.asker and question.reachable):
        return 0
    return _tell(conn, texts, question.asker, "qa_approved", f"qa-approved:{question.id}", question=_quote(question))


def dismissed(conn: sqlite3.Connection, texts, question: Question) -> int:
    if not (question.asker and question.reachable):
        return 0
    lang = people.language(conn, question.asker)
    reason = texts.get("qa_withdrawn_reason", lang) if question.reason == "withdrawn" else question.reason
    return _tell(conn, texts, question.asker, "qa_dismissed", f"qa-dismissed:{question.id}",
                 question=_quote(question), reason=reason)


def answered(conn: sqlite3.Connection, texts, question: Question) -> int:
    """Tell everyone the answer concerns; returns how many messages were queued."""
    queued = 0
    for psid in to_tell(conn, question.id):
        lang = people.language(conn, psid)
        when = texts.get("qa_answered_at", lang, time=question.answered_in_stream) if question.answered_in_stream else ""
        queued += _tell(conn, texts, psid, "qa_answered", f"qa-answered:{question.id}", question=_quote(question),
                        when=when)
    return queued


ACTIONS = ("approve", "dismiss", "edit", "answer", "pin", "merge")


def decide(conn: sqlite3.Connection, texts, action: str, question_id: int, value: str | int | None = None
           ) -> tuple[Question, int]:
    """A moderator's decision (one of ACTIONS; `value`: the dismissal's reason, the corrected text, the time in
    the stream, the question merged into) and the notices it owes, in the caller's transaction; returns the
    question (the target, for a merge) and how many messages were queued. Raises ValueError when the decision
    does not apply (questions.py says why)."""
    if action == "approve":
        question = questions.approve(conn, question_id)
        return question, approved(conn, texts, question)
    if action == "dismiss":
        question = questions.dismiss(conn, question_id, str(value or ""))
        return question, dismissed(conn, texts, question)
    if action == "edit":
        return questions.edit(conn, question_id, str(value or "")), 0
    if action == "answer":
        question = questions.answer(conn, question_id, str(value) if value else None)
        return question, answered(conn, texts, question)
    if action == "pin":
        return questions.pin(conn, question_id), 0
    if action == "merge":
        return questions.merge(conn, question_id, int(value)), 0
    raise ValueError(f"unknown decision {action!r}")
