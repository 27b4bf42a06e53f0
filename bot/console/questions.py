"""Console: questions for the speakers. Open and close Q&A for a session (with its live video and auto-approve),
the moderation queue (approve, dismiss with a reason, correct typos, merge the near-duplicates the bot suggests,
rude words flagged), the approved questions by upvotes (pin on the stream, mark answered with the time in the
stream), the figures, the screen's and the overlay's links, and the export.

The same operations as `flask --app app qa ...` and "/qa ..." in Messenger (bot/domain/questions.py; the notices
to askers and upvoters: bot/domain/question_notices.py)."""
from __future__ import annotations

from flask import Response, abort, flash, redirect, render_template, request, session, url_for

from ..domain import question_export, question_notices, question_text, questions
from .auth import audit, bot, bp, login_required


@bp.get("/qa", endpoint="qa")
@login_required
def qa_page():
    conn = bot().store.conn
    listed = [(s, questions.counts(conn, s.session_id)) for s in questions.sessions(conn)]
    return render_template("console/qa.html", listed=listed, agenda=bot().content["agenda"])


@bp.post("/qa/open")
@login_required
def qa_open():
    session_id = request.form.get("session_id", "")
    if bot().content["agenda"].get(session_id) is None:
        flash(f"session {session_id[:60]} is not in the agenda", "error")
        return redirect(url_for("console.qa"))
    with bot().store.write() as conn:
        questions.open_session(conn, session_id, video_id=request.form.get("video_id", "").strip() or None,
                               auto_approve=request.form.get("auto_approve") == "1")
        audit(session["moderator"], "qa_open", session_id, conn=conn)
    flash(f"เปิดรับคำถาม {session_id} แล้ว / Q&A open for {session_id}", "ok")
    return redirect(url_for("console.qa_session", session_id=session_id))


@bp.post("/qa/<session_id>/close")
@login_required
def qa_close(session_id: str):
    with bot().store.write() as conn:
        closed = questions.close_session(conn, session_id)
        if closed:
            audit(session["moderator"], "qa_close", session_id, conn=conn)
    flash(f"ปิดรับคำถาม {session_id} แล้ว / Q&A closed" if closed else f"Q&A for {session_id} is not open",
          "ok" if closed else "error")
    return redirect(url_for("console.qa_session", session_id=session_id))


@bp.get("/qa/<session_id>", endpoint="qa_session")
@login_required
def qa_session_page(session_id: str):
    conn = bot().store.conn
    qa = questions.get_session(conn, session_id)
    if qa is None:
        abort(404)
    listed = questions.of_session(conn, session_id)
    live = {q.id: q.text for q in listed if q.status in ("pending", "approved")}
    similar = {a: (b, score) for a, b, score in question_text.similar_pairs(live)}
    return render_template("console/qa_session.html", qa=qa, counts=questions.counts(conn, session_id),
                           pending=sorted((q for q in listed if q.status == "pending"), key=lambda q: q.id),
                           approved=[q for q in listed if q.status == "approved"],
                           others=[q for q in listed if q.status in ("dismissed", "merged")], similar=similar,
                           agenda_session=bot().content["agenda"].get(session_id))


@bp.post("/qa/questions/<int:question_id>/<action>")
@login_required
def qa_decide(question_id: int, action: str):
    if action not in question_notices.ACTIONS:
        abort(404)
    value = request.form.get("value", "").strip() or None
    try:
        with bot().store.write() as conn:
            question, told = question_notices.decide(conn, bot().content.texts, action, question_id, value)
            audit(session["moderator"], f"qa_{action}", f"#{question_id} {value or ''}"[:200], conn=conn)
    except (ValueError, TypeError) as exc:
        flash(str(exc), "error")
        question = questions.get(bot().store.conn, question_id)
    else:
        bot().wake_sender()
        flash(f"#{question_id}: {action} ✓" + (f" ({told} notified)" if told else ""), "ok")
    if question is None:
        return redirect(url_for("console.qa"))
    return redirect(url_for("console.qa_session", session_id=question.session_id) + f"#q-{question.id}")


@bp.post("/qa/<session_id>/unpin")
@login_required
def qa_unpin(session_id: str):
    with bot().store.write() as conn:
        questions.pin(conn, None, session_id)
        audit(session["moderator"], "qa_unpin", session_id, conn=conn)
    return redirect(url_for("console.qa_session", session_id=session_id))


@bp.get("/qa/<session_id>/export.<fmt>")
@login_required
def qa_export(session_id: str, fmt: str):
    if fmt not in ("csv", "json"):
        abort(404)
    body = question_export.export(bot().store.conn, bot().privacy.pseudonym, session_id, fmt)
    audit(session["moderator"], "qa_export", f"{session_id} {fmt}")
    return Response(body, mimetype="text/csv" if fmt == "csv" else "application/json",
                    headers={"Content-Disposition": f'attachment; filename="questions-{session_id}.{fmt}"'})
