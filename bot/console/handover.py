"""Console: the hand-over inbox. Conversations the bot handed to a person (the user asked for one); a moderator
reads the history, replies as the Page, and releases the user back to the bot (bot/domain/conversations.py says
how a reply goes out; bot/domain/handover.py owns the hand-over itself)."""
from __future__ import annotations

import time

from flask import abort, flash, jsonify, redirect, render_template, request, session, url_for

from ..domain import conversations, handover
from ..domain.conversations import REPLY_LIMIT
from .auth import audit, bot, bp, login_required


@bp.get("/handover", endpoint="handover")
@login_required
def handover_list():
    conn = bot().store.conn
    people = [{**row, "last": conversations.last_message(conn, row["psid"])}
              for row in handover.waiting(conn, time.time())]
    return render_template("console/handover_list.html", people=people, now=time.time())


@bp.get("/handover/<psid>")
@login_required
def handover_conversation(psid: str):
    conn = bot().store.conn
    user = conversations.person(conn, psid)
    if user is None:
        abort(404)
    now = time.time()
    window, hours_left = conversations.window(user, now)
    return render_template("console/handover.html", user=user, items=conversations.history(conn, psid),
                           waiting=handover.waiting_row(conn, psid, now), window=window, hours_left=hours_left)


@bp.get("/handover/<psid>.json")
@login_required
def handover_history(psid: str):
    """The conversation for the page's script, which shows new messages without a reload (the reply box keeps
    what the moderator is typing)."""
    return jsonify(items=conversations.history(bot().store.conn, psid))


@bp.post("/handover/<psid>/reply")
@login_required
def handover_reply(psid: str):
    text = request.form.get("text", "").strip()
    if not text or len(text) > REPLY_LIMIT:
        flash(f"ข้อความต้องมี 1-{REPLY_LIMIT} ตัวอักษร / A reply has 1 to {REPLY_LIMIT} characters", "error")
        return redirect(url_for("console.handover_conversation", psid=psid))
    moderator = session["moderator"]
    with bot().store.write() as conn:
        if conversations.person(conn, psid) is None:
            abort(404)
        conversations.reply(conn, psid, text, moderator)
        # About this person (their pseudonym): "delete my data" erases what the moderator wrote from the record.
        audit(moderator, "handover_reply", f"{psid}: {text[:200]}", conn=conn, subject=bot().privacy.person_key(psid))
    bot().wake_sender()
    flash("ส่งแล้ว / Sent", "ok")
    return redirect(url_for("console.handover_conversation", psid=psid))


@bp.post("/handover/<psid>/release")
@login_required
def handover_release(psid: str):
    moderator = session["moderator"]
    with bot().store.write() as conn:
        released = handover.release(conn, bot().content.texts, psid, f"console:{moderator}")
        if released:
            audit(moderator, "handover_release", psid, conn=conn, subject=bot().privacy.person_key(psid))
    if released:
        bot().wake_sender()
        flash("ส่งกลับให้บอทแล้ว / Back with the bot", "ok")
        return redirect(url_for("console.handover"))
    flash("ผู้ใช้นี้ไม่ได้รอเจ้าหน้าที่ / This person is not waiting for a person", "error")
    return redirect(url_for("console.handover_conversation", psid=psid))
