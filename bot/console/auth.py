"""The console's log-in: the blueprint every page hangs on, sessions, `login_required`, the audit of actions, and
the security headers of every console response (bot/console/__init__.py says why each rule is there; the rules
on accounts, sessions and failed log-ins are bot/domain/moderators.py's).
"""
from __future__ import annotations

import functools
import secrets
import time

from flask import Blueprint, flash, g, redirect, render_template, request, session, url_for

from ..domain import audit as audit_log
from ..domain import moderators
from ..domain.moderators import SESSION_LIFETIME
from ..web import runtime as bot

bp = Blueprint("console", __name__, url_prefix="/console", template_folder="templates")
ACTIVITY_RESOLUTION = 60.0  # a session's last click is written at most once a minute
CSP = ("default-src 'none'; script-src 'nonce-{nonce}'; style-src 'unsafe-inline'; img-src 'self' data:; "
       "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")


def audit(moderator: str | None, action: str, detail: str = "", conn=None, subject: str | None = None) -> None:
    """Record a console action: inside the caller's transaction when given `conn`, else in one of its own.
    `subject`: the pseudonym of the citizen it concerns (see bot/domain/audit.py)."""
    if conn is not None:
        audit_log.record(conn, moderator, action, detail, request.remote_addr, subject)
        return
    with bot().store.write() as own:
        audit_log.record(own, moderator, action, detail, request.remote_addr, subject)


# -- sessions ---------------------------------------------------------------------------------------------------
def _background() -> bool:
    """A page's own script asking for fresh figures (the .json endpoints): not a moderator's click."""
    return request.method == "GET" and request.path.endswith(".json")


def current_moderator() -> str | None:
    """The moderator of this request's session, if it is still valid (exists, not idle, not too old)."""
    token, name = session.get("sid"), session.get("moderator")
    if not token or not name:
        return None
    store = bot().store
    row = moderators.session(store.conn, token)
    if row is None or row["moderator"] != name:
        return None  # logged out, password reset, account removed
    now = time.time()
    idle = now - row["last_seen_at"] > bot().settings.console_idle_minutes * 60
    if idle or now - row["created_at"] > SESSION_LIFETIME:
        with store.write() as conn:
            if moderators.end_session(conn, session_id=row["id"]):
                audit(name, "session_ended", "idle" if idle else "12 hours since log-in", conn=conn)
        flash("หมดเวลาการใช้งาน กรุณาเข้าสู่ระบบอีกครั้ง / Your session ended: please log in again", "error")
        return None
    if now - row["last_seen_at"] > ACTIVITY_RESOLUTION and not _background():
        with store.write() as conn:
            moderators.touch(conn, row["id"], now)
    return name


def login_required(view):
    @functools.wraps(view)
    def wrapped(*args, **kwargs):
        if current_moderator() is None:
            flashes = session.get("_flashes")
            session.clear()
            if flashes:
                session["_flashes"] = flashes
            return redirect(url_for("console.login", next=request.path))
        return view(*args, **kwargs)
    return wrapped


# -- log-in -----------------------------------------------------------------------------------------------------
@bp.route("/login", methods=["GET", "POST"])
def login():
    error, status = None, 200
    if request.method == "POST":
        store, tz = bot().store, bot().settings.tz
        name = request.form.get("name", "").strip()[:100]
        password = request.form.get("password", "")
        address, now = request.remote_addr, time.time()
        with store.write() as conn:
            if moderators.locked_out(conn, name, address, now):
                error, status = "too many failed log-ins: wait 15 minutes", 429
                moderators.refused(conn, name, address, error, now, tz)
            else:  # counted as a failure until the password checks out
                moderators.attempt(conn, name, address, now)
        if error is None:
            ok = moderators.password_ok(store.conn, name, password)
            with store.write() as conn:
                if ok:
                    token = moderators.logged_in(conn, name, address, now)
                    audit(name, "login", conn=conn)
                else:
                    error, status = "wrong name or password", 401
                    moderators.refused(conn, name, address, error, now, tz)
        if error is None:
            session.clear()
            session["moderator"], session["sid"] = name, token
            session.permanent = True
            target = request.args.get("next", "")
            return redirect(target if target.startswith("/console") else url_for("console.dashboard"))
    return render_template("console/login.html", error=error), status


@bp.post("/logout")
@login_required
def logout():
    with bot().store.write() as conn:
        moderators.end_session(conn, token=session["sid"])
        audit(session.get("moderator"), "logout", conn=conn)
    session.clear()
    return redirect(url_for("console.login"))


# -- headers on every console response ------------------------------------------------------------------------
@bp.before_request
def _make_nonce() -> None:
    g.csp_nonce = secrets.token_urlsafe(16)


@bp.context_processor
def _nonce_for_templates() -> dict:
    return {"csp_nonce": g.get("csp_nonce", "")}


@bp.after_request
def _security_headers(response):
    response.headers["Content-Security-Policy"] = CSP.format(nonce=g.get("csp_nonce") or secrets.token_urlsafe(16))
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "same-origin"
    response.headers["Cache-Control"] = "no-store"
    return response
