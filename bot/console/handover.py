"""Console: the hand-over inbox. Conversations the bot handed to a person (the user asked for one); a moderator
reads the history, replies as the Page, and releases the user back to the bot.

Replies go through the outbox like everything else: as RESPONSE inside the person's 24-hour window, and up
to 7 days after their last message under the HUMAN_AGENT tag, which Facebook allows for exactly this (a
person answering a person). Past 7 days the outbox records the reply as not sendable, and the page says so
before the moderator types.
"""
from __future__ import annotations

import json
import time

from flask import abort, flash, jsonify, redirect, render_template, request, session, url_for

from handlers.handover import release_conversation, waiting

from ..messenger.events import sticker_of
from ..messenger.outbox import HUMAN_AGENT_SECONDS, WINDOW_SECONDS, Outgoing, enqueue
from ..privacy import ERASED_NOTE as ERASED, PERSON
from ..messenger.replies import Text
from . import audit, bot, bp, login_required

REPLY_LIMIT = 2000


def _incoming_text(kind: str, event: dict) -> str:
    if event.get("erased"):
        return ERASED
    if kind == "postback":
        return f"[{event.get('postback', {}).get('title') or 'ปุ่ม / button'}]"
    message = event.get("message") or {}
    if message.get("text"):
        return message["text"]
    attachments = tuple(a for a in message.get("attachments") or [] if isinstance(a, dict))
    kinds = [a.get("type", "?") for a in attachments]
    if sticker_of(message, attachments) is not None:
        return "[สติกเกอร์ / sticker]"
    return f"[{', '.join(kinds) or kind}]"


def _outgoing_text(request_json: str) -> str:
    body = json.loads(request_json)
    if body.get("erased"):
        return ERASED
    message = body.get("message") or {}
    if "text" in message:
        return message["text"]
    payload = (message.get("attachment") or {}).get("payload") or {}
    if payload.get("text"):
        return payload["text"]
    titles = [e.get("title", "") for e in payload.get("elements", [])]
    return f"[{', '.join(titles) or 'template'}]"


def history(conn, psid: str, limit: int = 100) -> list[dict]:
    """The conversation as the person saw it: what they sent (the inbox) and what the Page sent (the outbox)."""
    items = []
    for row in conn.execute("SELECT kind, event, received_at FROM inbox WHERE psid = ? AND kind IN ('message', 'postback') "
                            "ORDER BY id DESC LIMIT ?", (psid, limit)):
        items.append({"at": row["received_at"], "mine": False, "text": _incoming_text(row["kind"], json.loads(row["event"]))})
    for row in conn.execute("SELECT request, created_at, status, batch FROM outbox WHERE psid = ? AND request LIKE '%\"message\"%' "
                            "ORDER BY id DESC LIMIT ?", (psid, limit)):
        items.append({"at": row["created_at"], "mine": True, "text": _outgoing_text(row["request"]),
                      "status": row["status"], "by_person": (row["batch"] or "").startswith("console:")})
    return sorted(items, key=lambda item: item["at"])[-limit:]


@bp.get("/handover", endpoint="handover")
@login_required
def handover_list():
    conn = bot().store.conn
    people = []
    for row in waiting(conn, time.time()):
        last = conn.execute("SELECT kind, event FROM inbox WHERE psid = ? AND kind = 'message' ORDER BY id DESC LIMIT 1",
                            (row["psid"],)).fetchone()
        people.append({**dict(row), "last": _incoming_text(last["kind"], json.loads(last["event"])) if last else "-"})
    return render_template("console/handover_list.html", people=people, now=time.time())


@bp.get("/handover/<psid>")
@login_required
def handover_conversation(psid: str):
    conn = bot().store.conn
    user = conn.execute("SELECT * FROM users WHERE psid = ?", (psid,)).fetchone()
    if user is None:
        abort(404)
    now = time.time()
    waiting_row = conn.execute("SELECT * FROM handover WHERE psid = ? AND released_at IS NULL AND until > ?",
                               (psid, now)).fetchone()
    age = now - (user["last_interaction_at"] or 0)
    window = "open" if age < WINDOW_SECONDS else ("human_agent" if age < HUMAN_AGENT_SECONDS else "closed")
    return render_template("console/handover.html", user=user, items=history(conn, psid), waiting=waiting_row,
                           window=window, hours_left=max(0, int((WINDOW_SECONDS - age) // 3600)))


@bp.get("/handover/<psid>.json")
@login_required
def handover_history(psid: str):
    """The conversation for the page's script, which shows new messages without a reload (the reply box keeps
    what the moderator is typing)."""
    return jsonify(items=history(bot().store.conn, psid))


@bp.post("/handover/<psid>/reply")
@login_required
def handover_reply(psid: str):
    text = request.form.get("text", "").strip()
    if not text or len(text) > REPLY_LIMIT:
        flash(f"ข้อความต้องมี 1-{REPLY_LIMIT} ตัวอักษร / A reply has 1 to {REPLY_LIMIT} characters", "error")
        return redirect(url_for("console.handover_conversation", psid=psid))
    moderator = session["moderator"]
    with bot().store.write() as conn:
        if conn.execute("SELECT 1 FROM users WHERE psid = ?", (psid,)).fetchone() is None:
            abort(404)
        # RESPONSE inside the window; the HUMAN_AGENT tag lets a person answer up to 7 days after.
        enqueue(conn, psid, [Outgoing(Text(text), intent="RESPONSE", tag="HUMAN_AGENT")], batch=f"console:{moderator}")
        # About this person (their pseudonym): "delete my data" erases what the moderator wrote from the record.
        subject = bot().privacy.pseudonym(PERSON, psid)
        audit(moderator, "handover_reply", f"{psid}: {text[:200]}", conn=conn, subject=subject)
    bot().wake_sender()
    flash("ส่งแล้ว / Sent", "ok")
    return redirect(url_for("console.handover_conversation", psid=psid))


@bp.post("/handover/<psid>/release")
@login_required
def handover_release(psid: str):
    moderator = session["moderator"]
    with bot().store.write() as conn:
        released = release_conversation(conn, bot().content.texts, psid, f"console:{moderator}")
        if released:
            audit(moderator, "handover_release", psid, conn=conn, subject=bot().privacy.pseudonym(PERSON, psid))
    if released:
        bot().wake_sender()
        flash("ส่งกลับให้บอทแล้ว / Back with the bot", "ok")
        return redirect(url_for("console.handover"))
    flash("ผู้ใช้นี้ไม่ได้รอเจ้าหน้าที่ / This person is not waiting for a person", "error")
    return redirect(url_for("console.handover_conversation", psid=psid))
