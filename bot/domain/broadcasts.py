"""Broadcasts: one announcement, in each person's language, to a segment of the people who wrote to the Page.

Life of a broadcast: `draft` (composed, previewed) -> `scheduled` (send now = scheduled for now) -> `sending`
(fanned out into the outbox in chunks) -> `done`; or `cancelled` at any point before `done`, or `missed` when
a scheduled time passed more than the job queue's grace while no process ran (a stale "starts in 10 minutes"
is worse than none).

Why it is exactly-once and resumable after kill -9:
- the fan-out writes one outbox row per person in chunks, each chunk with its cursor (the last PSID done) in the
  same transaction, and every row has the dedup key `broadcast:<id>:<psid>`; a restart resumes after the
  cursor, and a chunk written twice queues nothing new;
- delivery is the outbox's: at SEND_RATE, one result per row (sent, failed, outside_window, cancelled, ...),
  broadcasts after conversation (priority 1), so a citizen's answer never waits behind 10,000 announcements.

Messenger's rules: everyone inside their 24-hour window gets it as UPDATE. Outside the window, only
registered participants, and only when the broadcast is marked an event update, as a utility message: the
`event_update` template of content/message_templates.toml with the announcement as its parameter (the
CONFIRMED_EVENT_UPDATE tag was retired on 27 April 2026; see bot/messenger/utility_messages.py). Without an approved
template in the person's language it is not sent, and the recipient's result says "no approved template".
Utility messages must not market anything, so neither may an event update. Everyone else outside the window
is recorded as `outside_window` at fan-out, without a Send API call. People Facebook refused for good (they
blocked the Page, deleted their account) are not in any audience.
"""
from __future__ import annotations

import logging
import time
from dataclasses import dataclass

from ..csv_export import csv_document
from ..logs import event as log_event
from ..messenger import outbox, people, utility_messages
from ..messenger.outbox import OUTSIDE_NO_TAG, WINDOW_SECONDS, Outgoing, enqueue
from ..messenger.replies import Buttons, Text, UrlButton
from ..store import ensure_table
from . import registrations
from .clock import local_time
from .segments import UPDATE_TEMPLATE, BroadcastError, Segment

log = logging.getLogger(__name__)

BULK_PRIORITY = 1
FANOUT_CHUNK = 500  # rows per transaction: short enough that replies to citizens are not held up
TEXT_LIMIT = 2000  # one Messenger message
TEXT_WITH_LINK_LIMIT = 640  # a button template's text
LINK_TITLE_LIMIT = 20
ACTIVE = ("draft", "scheduled", "sending")
RESULTS_HEADER = ["psid", "language", "result", "status", "sent_as", "finished_at", "message_id", "error"]

def schema(db) -> None:
    ensure_table(
        db, "broadcasts",
        {
            "id": int,
            "created_at": float,
            "created_by": str,  # "console:<name>", "messenger:<psid>", "cli"
            "text_th": str,
            "text_en": str,
            "link_url": str,
            "link_title_th": str,
            "link_title_en": str,
            "segment": str,  # everyone | registered | topic:<1-4> | session:<id> | language:<th|en>
            "event_update": int,  # 1: registered participants outside the window get it as a utility message
            "state": str,  # draft | scheduled | sending | done | cancelled | missed
            "scheduled_at": float,
            "started_at": float,
            "cursor": str,  # the last PSID fanned out
            "fanned_out": int,  # outbox rows written so far (one per person)
            "fanned_out_at": float,  # the fan-out reached the end of the audience
            "finished_at": float,
            "cancelled_by": str,
        },
        pk="id",
        not_null={"created_at", "text_th", "segment", "state"},
        defaults={"state": "draft", "fanned_out": 0, "event_update": 0},
    )
    db.execute("CREATE INDEX IF NOT EXISTS broadcasts_active ON broadcasts(state) WHERE state IN ('scheduled', 'sending')")


def declare(privacy) -> None:
    # Announcements moderators wrote (the organisation's record); who got each one is in the outbox.
    privacy.personal("broadcasts", erase=erase_cursor, purge=forget_cursors,
                     unshown="a fan-out's place in the list of people (a PSID), nothing about that person")


# -- the record -------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Broadcast:
    id: int
    text: dict[str, str]
    link_url: str | None
    link_title: dict[str, str]
    segment: Segment
    event_update: bool
    state: str
    created_by: str | None
    created_at: float
    scheduled_at: float | None
    started_at: float | None
    fanned_out: int
    fanned_out_at: float | None
    finished_at: float | None
    cursor: str | None

    @classmethod
    def from_row(cls, row) -> "Broadcast":
        return cls(row["id"], {"th": row["text_th"], "en": row["text_en"] or row["text_th"]}, row["link_url"] or None,
                   {"th": row["link_title_th"] or "", "en": row["link_title_en"] or row["link_title_th"] or ""},
                   Segment.parse(row["segment"]), bool(row["event_update"]), row["state"], row["created_by"],
                   row["created_at"], row["scheduled_at"], row["started_at"], row["fanned_out"] or 0,
                   row["fanned_out_at"], row["finished_at"], row["cursor"])

    def message(self, lang: str):
        """What a person reading `lang` gets."""
        lang = lang if lang in ("th", "en") else "th"
        if self.link_url:
            return Buttons(self.text[lang], [UrlButton(self.link_title[lang], self.link_url)])
        return Text(self.text[lang])

    def update_text(self, lang: str) -> str:
        """The announcement as the `update` parameter of a utility message: one line, with its link."""
        lang = lang if lang in ("th", "en") else "th"
        return utility_messages.clean_parameter(f"{self.text[lang]} {self.link_url or ''}")


def get(conn, broadcast_id: int) -> Broadcast | None:
    row = conn.execute("SELECT * FROM broadcasts WHERE id = ?", (broadcast_id,)).fetchone()
    return Broadcast.from_row(row) if row else None


def recent(conn, limit: int = 50) -> list[Broadcast]:
    return [Broadcast.from_row(r) for r in conn.execute("SELECT * FROM broadcasts ORDER BY id DESC LIMIT ?", (limit,))]


def started_between(conn, start: float, end: float) -> list[Broadcast]:
    """Broadcasts (not drafts) that started sending, or were due, in [start, end), in that order."""
    return [Broadcast.from_row(r) for r in conn.execute(
        "SELECT * FROM broadcasts WHERE state != 'draft' AND coalesce(started_at, scheduled_at, created_at) >= ? "
        "AND coalesce(started_at, scheduled_at, created_at) < ? ORDER BY coalesce(started_at, scheduled_at, "
        "created_at), id", (start, end))]


def first_at(conn) -> float | None:
    return conn.execute("SELECT min(coalesce(started_at, scheduled_at, created_at)) FROM broadcasts "
                        "WHERE state != 'draft'").fetchone()[0]


def active(conn) -> list:
    """(id, state, scheduled_at) of the broadcasts scheduled or sending."""
    return conn.execute("SELECT id, state, scheduled_at FROM broadcasts WHERE state IN ('scheduled', 'sending')").fetchall()


def create(conn, *, text_th: str, text_en: str = "", segment: Segment, event_update: bool = False,
           link_url: str = "", link_title_th: str = "", link_title_en: str = "", created_by: str,
           templates=None) -> int:
    """Save a draft, checked against Messenger's limits (and, for an event update, against what its utility
    template can carry: `templates`, content/message_templates.toml). Returns its id."""
    text_th, text_en = (text_th or "").strip(), (text_en or "").strip()
    link_url, link_title_th, link_title_en = (link_url or "").strip(), (link_title_th or "").strip(), (link_title_en or "").strip()
    if not text_th:
        raise BroadcastError("the Thai text is required (English readers get it too when there is no English text)")
    limit = TEXT_WITH_LINK_LIMIT if link_url else TEXT_LIMIT
    for name, text in (("Thai", text_th), ("English", text_en)):
        if len(text) > limit:
            raise BroadcastError(f"the {name} text has {len(text)} characters; Messenger allows {limit}"
                                 + (" with a link button" if link_url else ""))
    if link_url:
        if not link_url.startswith(("https://", "http://")):
            raise BroadcastError("the link must start with https://")
        link_title_th = link_title_th or "เปิดลิงก์"
        link_title_en = link_title_en or "Open link"
        for title in (link_title_th, link_title_en):
            if len(title) > LINK_TITLE_LIMIT:
                raise BroadcastError(f"a button title has at most {LINK_TITLE_LIMIT} characters: {title!r}")
    elif link_title_th or link_title_en:
        raise BroadcastError("a button title needs a link")
    if event_update and templates and UPDATE_TEMPLATE in templates:
        template = templates[UPDATE_TEMPLATE]
        for lang, name, text in (("th", "Thai", text_th), ("en", "English", text_en or text_th)):
            carried = len(utility_messages.clean_parameter(f"{text} {link_url}"))
            room = template.room_for(lang, "update")
            if carried > room:
                raise BroadcastError(f"an event update reaches registered participants outside the 24-hour window as a "
                                     f"utility message, which takes {room} characters of {name} text and link; this "
                                     f"one has {carried}")
    cursor = conn.execute(
        "INSERT INTO broadcasts (created_at, created_by, text_th, text_en, link_url, link_title_th, link_title_en, "
        "segment, event_update, state) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'draft')",
        (time.time(), created_by, text_th, text_en or None, link_url or None, link_title_th or None,
         link_title_en or None, str(segment), int(event_update)))
    return int(cursor.lastrowid)


def schedule(conn, broadcast_id: int, at: float | None = None) -> None:
    """Send a draft now (`at` None) or at `at`. Only a draft or a scheduled broadcast can be (re)scheduled."""
    now = time.time()
    when = now if at is None else float(at)
    if at is not None and when < now - 60:
        raise BroadcastError("that time has passed")
    updated = conn.execute("UPDATE broadcasts SET state = 'scheduled', scheduled_at = ? WHERE id = ? AND state IN "
                           "('draft', 'scheduled')", (when, broadcast_id)).rowcount
    if not updated:
        raise BroadcastError(_not_changeable(conn, broadcast_id))


def cancel(conn, broadcast_id: int, by: str) -> int:
    """Stop a broadcast: no further fan-out, queued messages cancelled (those in flight finish). Returns how many
    messages were cancelled."""
    updated = conn.execute("UPDATE broadcasts SET state = 'cancelled', cancelled_by = ?, finished_at = ? WHERE id = ? "
                           "AND state IN ('draft', 'scheduled', 'sending')", (by, time.time(), broadcast_id)).rowcount
    if not updated:
        raise BroadcastError(_not_changeable(conn, broadcast_id))
    return outbox.cancel_batch(conn, batch_name(broadcast_id), time.time(), "broadcast cancelled")


def _not_changeable(conn, broadcast_id: int) -> str:
    row = conn.execute("SELECT state FROM broadcasts WHERE id = ?", (broadcast_id,)).fetchone()
    return f"broadcast {broadcast_id} not found" if row is None else f"broadcast {broadcast_id} is {row[0]}"


def erase_cursor(conn, person) -> int:
    """A broadcast's cursor is the last PSID fanned out: if it is this person's, it becomes the PSID before
    theirs, which resumes the fan-out at the same place (they have had it already)."""
    return conn.execute(f"UPDATE broadcasts SET cursor = {people.before_sql(':psid')} WHERE cursor = :psid",
                        {"psid": person.psid}).rowcount


def forget_cursors(conn, cutoff: float, limit: int | None) -> int:
    """Retention: the cursor of a fan-out finished before `cutoff` is no longer needed (it names a person)."""
    return conn.execute("UPDATE broadcasts SET cursor = NULL WHERE id IN (SELECT id FROM broadcasts WHERE "
                        "fanned_out_at < ? AND cursor IS NOT NULL LIMIT ?)", (cutoff, -1 if limit is None else limit)).rowcount


def batch_name(broadcast_id: int) -> str:
    return f"broadcast:{broadcast_id}"


# -- progress ---------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Progress:
    state: str
    audience: int  # people fanned out to so far (all of them once the fan-out is complete)
    complete_audience: bool
    sent: int
    failed: int
    skipped: int
    pending: int

    @property
    def done(self) -> int:
        return self.sent + self.failed + self.skipped

    @property
    def percent(self) -> int:
        if self.state in ("done", "cancelled", "missed"):
            return 100
        if not self.audience or not self.complete_audience:
            return 0
        # 100 means finished: the last results may be in a moment before the broadcast is marked done.
        return min(99, int(self.done * 100 / self.audience))

    def as_dict(self) -> dict:
        return {"state": self.state, "audience": self.audience, "sent": self.sent, "failed": self.failed,
                "skipped": self.skipped, "pending": self.pending, "percent": self.percent}


def progress(conn, broadcast_id: int) -> Progress | None:
    row = conn.execute("SELECT state, fanned_out, fanned_out_at FROM broadcasts WHERE id = ?", (broadcast_id,)).fetchone()
    if row is None:
        return None
    counts = outbox.batch_counts(conn, batch_name(broadcast_id))
    return Progress(row["state"], row["fanned_out"] or 0, row["fanned_out_at"] is not None, **counts)


def recipient_results(conn, broadcast_id: int):
    """One row per recipient: PSID, language, result (sent, failed, skipped, pending), the outbox status, when,
    Facebook's message id or the error."""
    for row in outbox.batch_rows(conn, batch_name(broadcast_id)):
        yield {"psid": row["psid"], "language": row["language"], "result": outbox.RESULTS.get(row["status"], "pending"),
               "status": row["status"], "sent_as": row["sent_as"] or "", "finished_at": row["finished_at"],
               "message_id": row["message_id"] or "", "error": row["error"] or ""}


def results_table(conn, broadcast_id: int, tz) -> list[list]:
    """Every recipient's result as rows under RESULTS_HEADER (times in TIMEZONE), for the organisers' CSV."""
    return [[r["psid"], r["language"], r["result"], r["status"], r["sent_as"], local_time(r["finished_at"], tz),
             r["message_id"], r["error"]] for r in recipient_results(conn, broadcast_id)]


def results_csv(rows: list[list]) -> str:
    """`results_table` as CSV (UTF-8 with a BOM, no cell a spreadsheet would run; bot/csv_export.py)."""
    return csv_document(RESULTS_HEADER, rows)


def skipped_reasons(conn, broadcast_id: int) -> list[tuple[str, int]]:
    """Why recipients were not sent the broadcast, with how many each: "no approved template (...)", outside the
    window, cancelled, and Facebook's refusals."""
    return outbox.batch_reasons(conn, batch_name(broadcast_id))


# -- the engine (runs in the lease holder) ----------------------------------------------------------------------
def fan_out_chunk(store, broadcast_id: int, agenda=None, chunk: int = FANOUT_CHUNK, now: float | None = None,
                  templates=None) -> bool:
    """Queue the next `chunk` people of a broadcast in one transaction. Returns True while there is more to do.

    Registered participants outside the window of an event update get a utility fallback (the `event_update`
    template of `templates`); whether it is sent is decided when the outbox gets to it (the window may have opened,
    the template may have been approved meanwhile)."""
    now = time.time() if now is None else now
    with store.write() as conn:
        row = conn.execute("SELECT * FROM broadcasts WHERE id = ?", (broadcast_id,)).fetchone()
        if row is None or row["state"] not in ("scheduled", "sending") or row["fanned_out_at"] is not None:
            return False  # cancelled meanwhile, or already complete
        b = Broadcast.from_row(row)
        if b.state == "scheduled":
            conn.execute("UPDATE broadcasts SET state = 'sending', started_at = ? WHERE id = ?", (now, b.id))
        audience = people.audience(conn, b.segment.who(agenda), registrations.registered(), b.cursor or "", chunk)
        messages = {lang: b.message(lang) for lang in ("th", "en")}
        batch = batch_name(b.id)
        since = now - WINDOW_SECONDS
        skipped = []
        update = templates.get(UPDATE_TEMPLATE) if templates else None
        for person in audience:
            in_window = (person["last_interaction_at"] or 0) > since
            utility = None
            if b.event_update and person["registered"] and not in_window and update is not None:
                lang = person["language"]
                utility = update.fallback(lang, {"update": b.update_text(lang)})
            if not in_window and utility is None:
                skipped.append(person)
                continue
            enqueue(conn, person["psid"], [Outgoing(messages[person["language"]], intent="UPDATE", utility=utility,
                                                    dedup_key=f"{batch}:{person['psid']}")],
                    batch=batch, priority=BULK_PRIORITY, now=now)
        # Outside the window with no tag allowed: a result without a Send API call (the rule is Facebook's).
        outbox.not_sent(conn, [p["psid"] for p in skipped], batch, OUTSIDE_NO_TAG, now, BULK_PRIORITY)
        last = audience[-1]["psid"] if audience else b.cursor
        finished = len(audience) < chunk
        conn.execute("UPDATE broadcasts SET cursor = ?, fanned_out = fanned_out + ?, fanned_out_at = ? WHERE id = ?",
                     (last, len(audience), now if finished else None, b.id))
    return not finished


def finish_completed(store) -> list[int]:
    """Mark `done` every sending broadcast whose fan-out is complete and whose messages all have a result.

    Called every half second: it reads first and takes the write lock only when there is something to mark."""
    done = [r[0] for r in store.conn.execute(
        "SELECT b.id FROM broadcasts b WHERE b.state = 'sending' AND b.fanned_out_at IS NOT NULL AND NOT "
        + outbox.batch_open_sql("'broadcast:' || b.id"))]
    if done:
        with store.write() as conn:
            conn.executemany("UPDATE broadcasts SET state = 'done', finished_at = ? WHERE id = ? AND state = 'sending'",
                             [(time.time(), broadcast_id) for broadcast_id in done])
    return done


def mark_missed(store, grace_seconds: float, now: float | None = None) -> list[int]:
    """Scheduled broadcasts whose time passed more than the grace ago (no process ran): not sent, said so."""
    now = time.time() if now is None else now
    late = now - grace_seconds
    missed = [r[0] for r in store.conn.execute(
        "SELECT id FROM broadcasts WHERE state = 'scheduled' AND scheduled_at < ?", (late,))]
    if missed:
        with store.write() as conn:  # the state is checked again: a cancel may have come in between
            conn.executemany("UPDATE broadcasts SET state = 'missed', finished_at = ? WHERE id = ? AND state = 'scheduled' "
                             "AND scheduled_at < ?", [(now, broadcast_id, late) for broadcast_id in missed])
    for broadcast_id in missed:
        log_event(log, "broadcast.missed", logging.WARNING, broadcast=broadcast_id)
    return missed
