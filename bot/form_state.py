"""Where each person is in a form: the one owner of `form_state` (bot/forms.py is the mechanism that moves it).

One row a person: the form in progress (`form`, `step`, `data`: the answers so far, JSON) and the forms it put
aside (`waiting`: a JSON list of `{form, step, data, started_at}`, the last put aside last), so that a form
started in the middle of another (a question for the speakers mid-registration) loses none of the other's answers.
Every write happens in the transaction of the event that caused it, so a redelivered event cannot move a form
twice. A row left for IDLE_SECONDS is gone with everything in it: before the person's next event
(`drop_expired`) and by the retention purge (the privacy declaration).
"""
from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass, field

from .store import ensure_table

IDLE_SECONDS = 24 * 3600


@dataclass
class FormState:
    psid: str
    form: str
    step: str
    data: dict = field(default_factory=dict)  # the answers so far; "lang": the form's language
    started_at: float = 0.0
    waiting: list[dict] = field(default_factory=list)  # forms put aside under this one: {form, step, data, started_at}

    def put_aside(self) -> dict:
        return {"form": self.form, "step": self.step, "data": self.data, "started_at": self.started_at}


def schema(db) -> None:
    ensure_table(db, "form_state", {"psid": str, "form": str, "step": str, "data": str, "started_at": float,
                                    "updated_at": float}, pk="psid", not_null={"form", "step", "data"})


def waiting_column(db) -> None:
    """Migration 027: the forms put aside under the one in progress (JSON list; NULL: none)."""
    ensure_table(db, "form_state", {"waiting": str}, pk="psid")


def declare(privacy) -> None:
    # A form idle for a day is gone for the person; what they typed into it (and the forms under it) goes too.
    privacy.personal("form_state", person="psid", kept_from="updated_at", max_age_days=IDLE_SECONDS / 86400,
                     show=show)


INTERNAL = {"lang", "contact", "contact_kind", "number"}  # the form's own keys, or a value shown in another form


def show(conn: sqlite3.Connection, person, words) -> list[str]:
    """The form in progress and each form put aside, with the answers typed into it so far."""
    state = load(conn, person.psid, person.now)
    if state is None:
        return []
    items = []
    for key, form in [("data_form", state.put_aside())] + [("data_form_aside", w) for w in reversed(state.waiting)]:
        answers = [_answer(words, name, value) for name, value in form["data"].items()
                   if not name.startswith("_") and name not in INTERNAL and value not in (None, "")]
        items.append(words.t(key, form=words.t(f"form_name_{form['form']}"), answers=" · ".join(answers) or "-"))
    return items


def load(conn: sqlite3.Connection, psid: str, now: float) -> FormState | None:
    """The person's form in progress, or None (none, or left idle too long): reads only."""
    row = conn.execute("SELECT * FROM form_state WHERE psid = ? AND updated_at >= ?", (psid, now - IDLE_SECONDS)).fetchone()
    if row is None:
        return None
    return FormState(psid, row["form"], row["step"], json.loads(row["data"]), row["started_at"],
                     json.loads(row["waiting"] or "[]"))


def save(conn: sqlite3.Connection, state: FormState, now: float) -> None:
    conn.execute(
        "INSERT INTO form_state (psid, form, step, data, started_at, updated_at, waiting) VALUES (?, ?, ?, ?, ?, ?, ?) "
        "ON CONFLICT(psid) DO UPDATE SET form = excluded.form, step = excluded.step, data = excluded.data, "
        "started_at = excluded.started_at, updated_at = excluded.updated_at, waiting = excluded.waiting",
        (state.psid, state.form, state.step, json.dumps(state.data, ensure_ascii=False), state.started_at or now, now,
         json.dumps(state.waiting, ensure_ascii=False) if state.waiting else None),
    )


def begin(conn: sqlite3.Connection, state: FormState, now: float) -> None:
    """`state` is a form starting: the person's form in progress, if another, is put aside under it (an earlier
    copy of the starting form among those put aside is replaced by this start)."""
    current = load(conn, state.psid, now)
    if current is not None:
        state.waiting = [w for w in current.waiting if w["form"] != state.form]
        if current.form != state.form:
            state.waiting.append(current.put_aside())
    save(conn, state, now)


def bring_back(conn: sqlite3.Connection, psid: str, form: str, now: float) -> FormState | None:
    """The person's `form`: the one in progress, or one put aside, which becomes the form in progress again with
    the current one put aside in its place. None when the person is in no such form."""
    current = load(conn, psid, now)
    if current is None or current.form == form:
        return current
    found = next((w for w in reversed(current.waiting) if w["form"] == form), None)
    if found is None:
        return None
    aside = [w for w in current.waiting if w is not found] + [current.put_aside()]
    state = FormState(psid, form, found["step"], found["data"], found["started_at"], aside)
    save(conn, state, now)
    return state


def end(conn: sqlite3.Connection, psid: str, now: float) -> FormState | None:
    """The form in progress ended (confirmed, cancelled, declined): the last form put aside comes back, marked as
    waiting for the person (`_paused`), and is returned; or the person is in no form any more (None)."""
    state = load(conn, psid, now)
    if state is None or not state.waiting:
        conn.execute("DELETE FROM form_state WHERE psid = ?", (psid,))
        return None
    back = state.waiting.pop()
    restored = FormState(psid, back["form"], back["step"], {**back["data"], "_paused": True}, back["started_at"],
                         state.waiting)
    save(conn, restored, now)
    return restored


def _answer(words, name: str, value) -> str:
    """An answer as the person reads it: a choice in words where it has some ("role_student"), a moment as a date."""
    if name == "consent_at":
        return words.when(value)
    try:
        return words.t(f"{name}_{value}")
    except KeyError:
        return str(value)[:300]


def choose_language(conn: sqlite3.Connection, psid: str, lang: str, now: float) -> FormState | None:
    """The person chose `lang`: the form in progress and every form put aside go on in it (their "lang")."""
    state = load(conn, psid, now)
    if state is not None:
        for data in [state.data] + [w["data"] for w in state.waiting]:
            data["lang"] = lang
        save(conn, state, now)
    return state


def drop_expired(ctx) -> None:
    """Before anything looks at the person's event: a form they left for longer than IDLE_SECONDS is gone."""
    ctx.conn.execute("DELETE FROM form_state WHERE psid = ? AND updated_at < ?", (ctx.user.psid, ctx.now - IDLE_SECONDS))
