"""The console's read-only pages: the dashboard (its figures are also "/stats" in Messenger), registrations with
search and CSV export, and the audit log. (The FAQ misses page, which also edits content, is faq_misses.py.)"""
from __future__ import annotations

from flask import Response, abort, render_template, request, session

from ..domain import audit as audit_log
from ..domain import registrations, stats, timeline
from ..domain.reports import FORMATS, build
from ..domain.reports.fonts import FontMissing
from .auth import audit, bot, bp, login_required


@bp.get("/")
@login_required
def dashboard():
    conn, settings = bot().store.conn, bot().settings
    return render_template("console/dashboard.html", f=stats.figures(conn, settings.tz), moderator=session["moderator"],
                           platform=stats.platform_status(conn, bot().content), tz=settings.tz,
                           charts=timeline.charts(conn, bot().content.texts, settings.tz))


@bp.get("/report.<fmt>", endpoint="report")
@login_required
def report_download(fmt: str):
    """The event's report (bot/domain/reports/: the same as `flask --app app report`), from the first record to
    today; audited like every export."""
    if fmt not in FORMATS:
        abort(404)
    try:
        built = build(bot(), fmt)
    except FontMissing as exc:
        return Response(f"ยังสร้าง PDF ไม่ได้ / Cannot make the PDF: {exc}", status=503, mimetype="text/plain")
    audit(session["moderator"], "report_export", built.audit_detail(fmt, "console"))
    return Response(built.data, mimetype=built.media_type,
                    headers={"Content-Disposition": f'attachment; filename="{built.filename}"'})


@bp.get("/registrations", endpoint="registrations")
@login_required
def registrations_page():
    search = request.args.get("q", "")[:100]
    rows = registrations.rows(bot().store.conn, search)
    return render_template("console/registrations.html", rows=rows[:500], total=len(rows), q=search,
                           moderator=session["moderator"])


@bp.get("/registrations.csv")
@login_required
def registrations_export():
    rows = registrations.rows(bot().store.conn)
    audit(session["moderator"], "export_registrations", f"{len(rows)} rows")
    return Response(registrations.as_csv(rows), mimetype="text/csv",
                    headers={"Content-Disposition": 'attachment; filename="registrations.csv"'})


@bp.get("/audit", endpoint="audit_log")
@login_required
def audit_page():
    return render_template("console/audit.html", rows=audit_log.recent(bot().store.conn, limit=300), tz=bot().settings.tz)
