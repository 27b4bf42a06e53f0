"""Console: the questions the bot declined, was unsure of, answered by a thin margin or answered wrongly ("not what I
asked"), most frequent first, each with the bot's best candidates; and, in one step from each, teaching the bot.

- "Add as example": the question becomes an example of an FAQ entry, of a feature (intent) or of "not about the
  event", in its language, in content/faq.toml or content/intents.toml;
- "New entry": the question starts a new FAQ entry (title and answer in Thai and English).

The file is edited as a person would (bot/domain/content_edit.py: layout kept, one edit at a time, refused and undone
if the content would not load), the running bot switches to it within a second (as after
`flask --app app reload-content`), the question leaves the list, and the audit log records who taught what.
"""
from __future__ import annotations

from pathlib import Path
from typing import Callable

from flask import flash, redirect, render_template, request, session, url_for

from ..domain import content_edit, faq_misses
from .auth import audit, bot, bp, login_required


@bp.get("/faq-misses", endpoint="faq_misses")
@login_required
def faq_misses_page():
    rows = faq_misses.listing(bot().store.conn, days=7, limit=100)
    targets = content_edit.targets(bot().content["understanding"])
    return render_template("console/faq_misses.html", rows=rows, targets=targets, moderator=session["moderator"])


def _reload() -> None:
    """Check the whole content and load it here, or raise ContentError (content_edit undoes the edit)."""
    bot().content.load()


def _taught(normalised: str, detail: str, action: str) -> None:
    """The edit is saved: the running bot reloads, the question leaves the list, the audit log says who did it."""
    bot().content.publish(bot().store)  # as `flask --app app reload-content` does
    with bot().store.write() as conn:
        faq_misses.taught(conn, normalised)
        audit(session["moderator"], action, detail[:200], conn=conn)


def _teach(edit: Callable[[], Path], label: str, action: str, done: str):
    """Run a content edit from the misses page: saved and taught, or refused with the reason."""
    question = request.form.get("question", "")
    try:
        path = edit()
    except content_edit.EditError as exc:
        flash(str(exc), "error")
    else:
        _taught(request.form.get("normalised", ""), f"{label} <- {question}", action)
        flash(done.format(label=label, file=path.name, question=question), "ok")
    return redirect(url_for("console.faq_misses"))


@bp.post("/faq-misses/example")
@login_required
def faq_miss_to_example():
    form = request.form
    label = form.get("label", "")
    return _teach(lambda: content_edit.add_example(bot().settings.content_dir, label, form.get("question", ""),
                                                   form.get("language", "th"), _reload),
                  label, "faq_add_example",
                  'เพิ่มเป็นตัวอย่างของ {label} ใน {file} แล้ว / Added to {label} in {file}: "{question}"')


@bp.post("/faq-misses/entry")
@login_required
def faq_miss_to_entry():
    form = request.form
    entry_id = form.get("entry_id", "")
    title = {"th": form.get("title_th", ""), "en": form.get("title_en", "")}
    answer = {"th": form.get("answer_th", ""), "en": form.get("answer_en", "")}
    return _teach(lambda: content_edit.add_entry(bot().settings.content_dir, entry_id, title, answer,
                                                 form.get("question", ""), form.get("language", "th"), _reload),
                  entry_id.strip().lower(), "faq_add_entry",
                  "สร้างคำถาม {label} ใน {file} แล้ว / New entry {label} in {file}")
