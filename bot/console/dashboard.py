"""The console's read-only pages: the dashboard (its figures are also "/stats" in Messenger), registrations with
search and CSV export. (The FAQ misses page, which also edits content, is faq_misses.py.)"""
from __future__ import annotations

import time

from flask import Response, current_app, render_template, request, session

import json

from ..messenger import alerts, utility_messages
from .. import polls
from ..messenger import sender
from . import audit, bp, login_required


def dashboard_figures(conn) -> dict:
    now = time.time()
    day_start = now - (now % 86400)
    one = lambda sql, *a: conn.execute(sql, a).fetchone()[0]  # noqa: E731
    poll = conn.execute("SELECT id, question_th FROM polls WHERE state = 'open' ORDER BY id DESC LIMIT 1").fetchone()
    poll_counts = []
    if poll is not None:
        p = polls.get(conn, poll["id"])
        poll_counts = list(zip([o["th"] for o in p.options], polls.tally(conn, p)))
    return {
        "registered": one("SELECT count(*) FROM registrations WHERE status = 'registered'"),
        "waitlisted": one("SELECT count(*) FROM registrations WHERE status = 'waitlisted'"),
        "by_role": conn.execute("SELECT role, count(*) AS n FROM registrations GROUP BY role ORDER BY n DESC").fetchall(),
        "by_topic": conn.execute("SELECT topic, count(*) AS n FROM registrations GROUP BY topic ORDER BY topic").fetchall(),
        "subscribers": one("SELECT count(DISTINCT psid) FROM subscriptions"),
        "in_window": one("SELECT count(*) FROM users WHERE last_interaction_at > ?", now - 86400),
        "outbox_backlog": one("SELECT count(*) FROM outbox WHERE status IN ('queued', 'sending')"),
        "outbox_failed": one("SELECT count(*) FROM outbox WHERE status = 'failed' AND finished_at > ?", now - 86400),
        "misses_today": one("SELECT count(*) FROM faq_misses WHERE at > ?", day_start),
        "poll": poll, "poll_counts": poll_counts,
        "waiting_for_person": one("SELECT count(*) FROM handover WHERE released_at IS NULL AND until > ?", now),
        "no_template": one("SELECT count(*) FROM outbox WHERE status = 'outside_window' AND error LIKE ? AND finished_at > ?",
                           utility_messages.NO_APPROVED_TEMPLATE + "%", now - 86400),
    }


def platform_status(conn, content) -> dict:
    """What the Messenger Platform lets the bot do now: a paused sender (and why), the utility templates' statuses,
    the operator alerts of the last day."""
    reason = sender.paused(conn)
    templates = content.loaded().get("message_templates")
    return {"paused": reason, "templates": utility_messages.current(conn, templates) if templates is not None else [],
            "alerts": alerts.recent(conn)}


@bp.get("/")
@login_required
def dashboard():
    bot = current_app.extensions["bot"]
    figures = dashboard_figures(bot.store.conn)
    return render_template("console/dashboard.html", f=figures, moderator=session["moderator"],
                           platform=platform_status(bot.store.conn, bot.content), tz=bot.settings.tz)


@bp.get("/registrations")
@login_required
def registrations():
    from handlers.registration import registration_rows

    search = request.args.get("q", "")[:100]
    rows = registration_rows(current_app.extensions["bot"].store.conn, search)
    return render_template("console/registrations.html", rows=rows[:500], total=len(rows), q=search,
                           moderator=session["moderator"])


@bp.get("/registrations.csv")
@login_required
def registrations_export():
    from handlers.registration import registration_rows, registrations_csv

    rows = registration_rows(current_app.extensions["bot"].store.conn)
    audit(session["moderator"], "export_registrations", f"{len(rows)} rows")
    return Response(registrations_csv(rows), mimetype="text/csv",
                    headers={"Content-Disposition": 'attachment; filename="registrations.csv"'})


@bp.get("/audit")
@login_required
def audit_log():
    from .. import audit as audit_records

    rows = audit_records.recent(current_app.extensions["bot"].store.conn, limit=300)
    return render_template("console/audit.html", rows=rows, tz=current_app.extensions["bot"].settings.tz)
