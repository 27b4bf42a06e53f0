"""Console: compose a broadcast in Thai and English, preview it with its reach, send now or schedule, follow its
progress, cancel it. The rules are bot/domain/broadcasts.py; the lease holder's job queue sends (schedules/broadcasts.py)."""
from __future__ import annotations

import time
from datetime import datetime

from flask import Response, abort, flash, jsonify, redirect, render_template, request, session, url_for

from ..domain import broadcasts
from ..domain.agenda import TOPICS
from ..domain.segments import BroadcastError, Segment, estimate
from .auth import audit, bot, bp, login_required


def segment_choices() -> list[tuple[str, str]]:
    """(value, label) for every segment the console offers, the agenda's sessions included."""
    texts = bot().content.texts
    choices = [("everyone", "ทุกคน / Everyone"), ("registered", "ผู้ลงทะเบียน / Registered participants")]
    choices += [(f"topic:{n}", f"หัวข้อ {n}: {texts.get(f'topic_{n}', 'th')}") for n in TOPICS]
    choices += [(f"session:{s.id}", f"ช่วง / Session: {s.title['th']}") for s in bot().content["agenda"].sessions]
    choices += [("language:th", "ผู้ใช้ภาษาไทย / Thai readers"), ("language:en", "ผู้ใช้ภาษาอังกฤษ / English readers")]
    return choices


@bp.get("/broadcasts", endpoint="broadcasts")
@login_required
def broadcasts_page():
    return _list_and_compose({})


def _list_and_compose(form, error: str | None = None) -> str:
    """The broadcasts page: the latest ones with their progress, and the compose form (refilled after an error)."""
    conn = bot().store.conn
    items = [(b, broadcasts.progress(conn, b.id)) for b in broadcasts.recent(conn)]
    return render_template("console/broadcasts.html", items=items, segments=segment_choices(), form=form,
                           error=error, tz=bot().settings.tz)


@bp.post("/broadcasts")
@login_required
def broadcast_create():
    form = request.form
    agenda = bot().content["agenda"]
    try:
        segment = Segment.parse(form.get("segment", "everyone"), {s.id for s in agenda.sessions})
        with bot().store.write() as conn:
            broadcast_id = broadcasts.create(
                conn, text_th=form.get("text_th", ""), text_en=form.get("text_en", ""), segment=segment,
                event_update=form.get("event_update") == "1", link_url=form.get("link_url", ""),
                link_title_th=form.get("link_title_th", ""), link_title_en=form.get("link_title_en", ""),
                created_by=f"console:{session['moderator']}", templates=bot().content["message_templates"])
            audit(session["moderator"], "broadcast_draft", f"#{broadcast_id} {segment}", conn=conn)
    except BroadcastError as exc:
        return _list_and_compose(form, error=str(exc)), 400
    return redirect(url_for("console.broadcast_page", broadcast_id=broadcast_id))


@bp.get("/broadcasts/<int:broadcast_id>")
@login_required
def broadcast_page(broadcast_id: int):
    conn = bot().store.conn
    b = broadcasts.get(conn, broadcast_id)
    if b is None:
        abort(404)
    reach = estimate(conn, b.segment, b.event_update, bot().content["agenda"],
                     templates=bot().content["message_templates"])
    labels = dict(segment_choices())
    return render_template("console/broadcast.html", b=b, p=broadcasts.progress(conn, b.id), e=reach,
                           segment_label=labels.get(str(b.segment), str(b.segment)), tz=bot().settings.tz,
                           now=time.time(), reasons=broadcasts.skipped_reasons(conn, b.id))


@bp.get("/broadcasts/<int:broadcast_id>.json")
@login_required
def broadcast_progress(broadcast_id: int):
    p = broadcasts.progress(bot().store.conn, broadcast_id)
    if p is None:
        abort(404)
    return jsonify(p.as_dict())


@bp.get("/broadcasts/<int:broadcast_id>.csv")
@login_required
def broadcast_results_csv(broadcast_id: int):
    """Every recipient's result, for the organisers' report (UTF-8 with a BOM so Excel reads it)."""
    conn = bot().store.conn
    if broadcasts.get(conn, broadcast_id) is None:
        abort(404)
    rows = broadcasts.results_table(conn, broadcast_id, bot().settings.tz)
    audit(session["moderator"], "broadcast_export", f"#{broadcast_id}, {len(rows)} rows")
    return Response(broadcasts.results_csv(rows), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="broadcast-{broadcast_id}.csv"'})


@bp.post("/broadcasts/<int:broadcast_id>/send")
@login_required
def broadcast_send(broadcast_id: int):
    when_text = request.form.get("at", "").strip()
    at = None
    if when_text:
        try:
            when = datetime.fromisoformat(when_text)
        except ValueError:
            flash("เวลาไม่ถูกต้อง / That time is not valid", "error")
            return redirect(url_for("console.broadcast_page", broadcast_id=broadcast_id))
        at = (when if when.tzinfo else when.replace(tzinfo=bot().settings.tz)).timestamp()
    try:
        with bot().store.write() as conn:
            broadcasts.schedule(conn, broadcast_id, at)
            audit(session["moderator"], "broadcast_schedule" if at else "broadcast_send",
                  f"#{broadcast_id}" + (f" at {when_text}" if at else ""), conn=conn)
    except BroadcastError as exc:
        flash(str(exc), "error")
    else:
        flash(f"ตั้งเวลาส่งแล้ว / Scheduled for {when_text}" if at else "กำลังส่ง / Sending", "ok")
    return redirect(url_for("console.broadcast_page", broadcast_id=broadcast_id))


@bp.post("/broadcasts/<int:broadcast_id>/cancel")
@login_required
def broadcast_cancel(broadcast_id: int):
    try:
        with bot().store.write() as conn:
            stopped = broadcasts.cancel(conn, broadcast_id, f"console:{session['moderator']}")
            audit(session["moderator"], "broadcast_cancel", f"#{broadcast_id}, {stopped} not sent", conn=conn)
    except BroadcastError as exc:
        flash(str(exc), "error")
    else:
        flash(f"ยกเลิกแล้ว ไม่ส่งอีก {stopped} ข้อความ / Cancelled: {stopped} messages will not be sent", "ok")
    return redirect(url_for("console.broadcast_page", broadcast_id=broadcast_id))
