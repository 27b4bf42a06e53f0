"""Console: create polls, open and close them, watch their counts, and copy the results overlay's link for OBS.

The same operations as `flask --app app poll ...` and "/poll ..." in Messenger (bot/domain/polls.py)."""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, session, url_for

from ..domain import polls
from .auth import audit, bot, bp, login_required


@bp.get("/polls", endpoint="polls")
@login_required
def polls_page():
    conn = bot().store.conn
    items = [(p, polls.tally(conn, p)) for p in polls.latest(conn)]
    sessions = bot().content["agenda"].sessions
    return render_template("console/polls.html", items=items, sessions=sessions, form=request.args)


@bp.post("/polls")
@login_required
def poll_create():
    form = request.form
    options = [polls.bilingual_text(line) for line in form.get("options", "").splitlines() if line.strip()]
    question = {"th": form.get("question_th", "").strip(), "en": form.get("question_en", "").strip()}
    question["en"] = question["en"] or question["th"]
    try:
        minutes = float(form["close_after"]) if form.get("close_after", "").strip() else None
        if minutes is not None and minutes <= 0:
            raise ValueError("close after must be a positive number of minutes")
        with bot().store.write() as conn:
            poll_id = polls.create(conn, question, options, session_id=form.get("session_id") or None,
                                   video_id=form.get("video_id", "").strip() or None,
                                   allow_change=form.get("allow_change") == "1", close_after_minutes=minutes)
            audit(session["moderator"], "poll_create", f"#{poll_id} {question['th'][:100]}", conn=conn)
    except ValueError as exc:
        flash(str(exc), "error")
        return redirect(url_for("console.polls"))
    flash(f"สร้างโหวต #{poll_id} แล้ว (ยังไม่เปิด) / Poll #{poll_id} created (draft)", "ok")
    return redirect(url_for("console.polls"))


@bp.post("/polls/<int:poll_id>/open")
@login_required
def poll_open(poll_id: int):
    try:
        with bot().store.write() as conn:
            queued = polls.open_poll(conn, bot().content.texts, poll_id)
            audit(session["moderator"], "poll_open", f"#{poll_id}, sent to {queued}", conn=conn)
    except ValueError as exc:
        flash(str(exc), "error")
    else:
        bot().wake_sender()
        flash(f"เปิดโหวต #{poll_id} แล้ว ส่งถึง {queued} คน / Poll #{poll_id} open, sent to {queued} people", "ok")
    return redirect(url_for("console.polls"))


@bp.post("/polls/<int:poll_id>/close")
@login_required
def poll_close(poll_id: int):
    with bot().store.write() as conn:
        closed = polls.set_state(conn, poll_id, "closed")
        if closed:
            audit(session["moderator"], "poll_close", f"#{poll_id}", conn=conn)
    if closed:
        flash(f"ปิดโหวต #{poll_id} แล้ว / Poll #{poll_id} closed", "ok")
    else:
        flash(f"poll {poll_id} is not open", "error")
    return redirect(url_for("console.polls"))


@bp.get("/polls/<int:poll_id>/preview")
@login_required
def poll_preview(poll_id: int):
    """The results page as the audience will see it, drafts included (the public gets 404 for a draft)."""
    page = bot().screens[polls.RESULTS_SCREEN].preview(bot().store.conn, poll_id, request.args)
    if page is None:
        abort(404)
    return page, 200, {"Cache-Control": "no-store"}
