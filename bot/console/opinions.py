"""Console: opinion rounds. Create a round from a topic's seed statements (or your own question), open and close it,
moderate what participants wrote (near-duplicates and rude words flagged), and read the result in plain words: the
opinion map (participants as dots by group), each group's size and what sets it apart, what every group agrees on,
what divides them; exports (votes as CSV by one-way keys, the report as JSON) and the public screen's links.

The same operations as `flask --app app opinions ...` (bot/domain/opinions.py, opinion_results.py). The map is
never computed here (a web worker): "recompute now" asks the lease holder's job queue, which answers within seconds.
"""
from __future__ import annotations

from flask import Response, abort, flash, jsonify, redirect, render_template, request, session, url_for

from ..domain import opinion_results, opinions
from ..domain.polls import bilingual_text
from .auth import audit, bot, bp, login_required

MAP_SIZE = 360  # the map's drawing, in CSS pixels


@bp.get("/opinions", endpoint="opinions")
@login_required
def opinions_page():
    conn = bot().store.conn
    rounds = [(r, len(opinions.statements(conn, r.id, "approved")), opinions.progress_of_round(conn, r.id))
              for r in opinions.rounds(conn)]
    queue = [(s, opinions.get_round(conn, s.round_id)) for s in opinions.pending(conn)]
    near = {sid: opinions.statement(conn, sid) for s, _ in queue for sid in s.flags.get("near", ())}
    return render_template("console/opinions.html", rounds=rounds, queue=queue, near=near,
                           seeds=bot().content["opinion_seeds"])


@bp.post("/opinions")
@login_required
def opinion_create():
    form = request.form
    seeds = bot().content["opinion_seeds"].get(form.get("topic", ""))
    title = form.get("title", "").strip()
    texts = [bilingual_text(line) for line in form.get("statements", "").splitlines() if line.strip()]
    if seeds is None and not title:
        flash("เลือกหัวข้อ หรือเขียนคำถาม / Pick a topic or write a question", "error")
        return redirect(url_for("console.opinions"))
    try:
        with bot().store.write() as conn:
            round_id = opinions.create_round(conn, bilingual_text(title) if title else seeds.title,
                                             [*(seeds.statements if seeds else ()), *texts],
                                             topic=seeds.topic if seeds else None)
            audit(session["moderator"], "opinion_round_create", f"#{round_id}", conn=conn)
    except ValueError as exc:
        flash(str(exc), "error")
        return redirect(url_for("console.opinions"))
    flash(f"สร้างรอบความเห็น #{round_id} แล้ว (ยังไม่เปิด) / Opinion round #{round_id} created (draft)", "ok")
    return redirect(url_for("console.opinion_round", round_id=round_id))


@bp.post("/opinions/<int:round_id>/open")
@login_required
def opinion_open(round_id: int):
    return _set_state(round_id, "open")


@bp.post("/opinions/<int:round_id>/close")
@login_required
def opinion_close(round_id: int):
    return _set_state(round_id, "closed")


def _set_state(round_id: int, state: str):
    told = None
    with bot().store.write() as conn:
        if state == "open":  # the people who asked to be told of polls or of everything are told
            try:
                told = opinions.open_round(conn, bot().content.texts, round_id)
            except ValueError:
                pass
            done = told is not None
        else:
            done = opinions.set_state(conn, round_id, "closed")
            if done:
                opinion_results.request(conn, round_id)  # the final map, from every vote
        if done:
            audit(session["moderator"], f"opinion_round_{'open' if state == 'open' else 'close'}",
                  f"#{round_id}" + (f", told {told}" if told is not None else ""), conn=conn)
    if told:
        bot().wake_sender()
    if done:
        told_words = f" (แจ้ง {told} คน / {told} told)" if told is not None else ""
        flash(f"รอบ #{round_id}: {'เปิดแล้ว / open' if state == 'open' else 'ปิดแล้ว / closed'}{told_words}", "ok")
    else:
        flash(f"round {round_id} cannot be {state} now", "error")
    return redirect(url_for("console.opinion_round", round_id=round_id))


@bp.post("/opinions/statements/<int:statement_id>/approve")
@login_required
def opinion_approve(statement_id: int):
    return _decide(statement_id, "approve")


@bp.post("/opinions/statements/<int:statement_id>/reject")
@login_required
def opinion_reject(statement_id: int):
    return _decide(statement_id, "reject")


def _decide(statement_id: int, decision: str):
    form = request.form
    wording = {"th": form.get("th", "").strip(), "en": form.get("en", "").strip()}
    try:
        with bot().store.write() as conn:
            opinions.decide(conn, bot().content.texts, statement_id, decision == "approve",
                            wording if any(wording.values()) else None)
            audit(session["moderator"], f"opinion_statement_{decision}", f"#{statement_id}", conn=conn)
    except ValueError as exc:
        flash(str(exc), "error")
    else:
        bot().wake_sender()
        flash(f"ความเห็น #{statement_id}: {'เผยแพร่แล้ว / approved' if decision == 'approve' else 'ไม่เผยแพร่ / rejected'}", "ok")
    return redirect(url_for("console.opinions"))


@bp.post("/opinions/<int:round_id>/statements")
@login_required
def opinion_add_statements(round_id: int):
    texts = [bilingual_text(line) for line in request.form.get("statements", "").splitlines() if line.strip()]
    try:
        with bot().store.write() as conn:
            if opinions.get_round(conn, round_id) is None:
                abort(404)
            for text in texts:
                opinions.add_statement(conn, round_id, text, origin="moderator")
            audit(session["moderator"], "opinion_statements_add", f"#{round_id} +{len(texts)}", conn=conn)
    except ValueError as exc:
        flash(str(exc), "error")
    return redirect(url_for("console.opinion_round", round_id=round_id))


@bp.post("/opinions/<int:round_id>/recompute")
@login_required
def opinion_recompute(round_id: int):
    with bot().store.write() as conn:
        opinion_results.request(conn, round_id)
    flash("กำลังคำนวณใหม่ รีเฟรชในอีกไม่กี่วินาที / Recomputing: refresh in a few seconds", "ok")
    return redirect(url_for("console.opinion_round", round_id=round_id))


@bp.get("/opinions/<int:round_id>", endpoint="opinion_round")
@login_required
def opinion_round_page(round_id: int):
    conn = bot().store.conn
    report = opinion_results.report(conn, round_id)
    if report is None:
        abort(404)
    reason = report["reason"] or report["status"]
    why = " / ".join(opinion_results.REASONS[lang].get(reason, reason.replace("_", " ")) for lang in ("th", "en"))
    return render_template("console/opinion_round.html", report=report, dots=dots(report["points"]), why=why,
                           statements=opinions.statements(conn, round_id), size=MAP_SIZE, tz=bot().settings.tz)


@bp.get("/opinions/<int:round_id>.json")
@login_required
def opinion_report_json(round_id: int):
    report = opinion_results.report(bot().store.conn, round_id)
    if report is None:
        abort(404)
    return jsonify(report)


@bp.get("/opinions/<int:round_id>/votes.csv")
@login_required
def opinion_votes_csv(round_id: int):
    conn = bot().store.conn
    if opinions.get_round(conn, round_id) is None:
        abort(404)
    return Response(opinions.votes_csv(conn, round_id), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="opinion-round-{round_id}-votes.csv"'})


COLOURS = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd")


def dots(points: list) -> list[tuple[float, float, str, str]]:
    """The map's participants as (x, y, letter, colour), scaled into the drawing (y up, as in a chart)."""
    if not points:
        return []
    span = max(max(abs(x), abs(y)) for x, y, _ in points) or 1.0
    half = MAP_SIZE / 2
    return [(round(half + x / span * (half - 8), 1), round(half - y / span * (half - 8), 1), label,
             COLOURS[(ord(label) - ord("A")) % len(COLOURS)]) for x, y, label in points]
