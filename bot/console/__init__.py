"""The moderators' web console: accounts, log-in, sessions, the audit log; the pages are modules of this package.

Security (each point is a test in tests/test_console.py or tests/test_console_security.py):
- Accounts: passwords hashed with werkzeug.security (scrypt). `flask --app app add-moderator NAME` creates an
  account or resets its password (asked for, never an argument); `flask --app app remove-moderator NAME`
  removes one.
- Sessions live on the server (table `console_sessions`, which keeps only the SHA-256 of each session's random
  token). The signed cookie (HttpOnly, SameSite=Lax, Secure when PUBLIC_URL is https; key in
  instance/console.key or CONSOLE_SECRET_KEY) carries the token, worthless once its row is gone: log-out, a
  password reset and remove-moderator delete rows, so a copied cookie stops working at once. A session ends
  after CONSOLE_IDLE_MINUTES without a click (a page that refreshes itself does not count) and 12 hours after
  log-in in any case.
- Failed log-ins: at most 5 per 15 minutes per (name, address) and 20 per address. Nothing is counted per name
  alone, so one address guessing a moderator's password never locks that moderator out elsewhere (OWASP's
  Authentication Cheat Sheet: a lock-out must not become a denial of service). Every attempt counts as a
  failure until its password checks out, and the (slow, scrypt) check runs outside the database's write lock.
- Refused log-ins are written to the audit log one by one up to 20 per 15 minutes; past that, one summary row
  per 15 minutes counts the rest, so a flood cannot bury moderators' actions.
- CSRF tokens on every form (Flask-WTF's CSRFProtect; the webhook, signed by Facebook, is exempt).
- Every console response carries a Content-Security-Policy (scripts only with this response's nonce, no
  plugins, no framing, forms only to us), X-Frame-Options: DENY, X-Content-Type-Options: nosniff,
  Referrer-Policy: same-origin (Flask-WTF checks the referrer of forms over https) and Cache-Control: no-store.
Every log-in, log-out and action is recorded in the audit log.
"""
from __future__ import annotations

import functools
import hashlib
import json
import secrets
import time
from datetime import datetime
from pathlib import Path

import click
from flask import Blueprint, Flask, current_app, flash, g, redirect, render_template, request, session, url_for
from flask.cli import with_appcontext
from werkzeug.security import check_password_hash, generate_password_hash

from .. import audit as audit_log
from ..keyfile import kept_secret

bp = Blueprint("console", __name__, url_prefix="/console", template_folder="templates")
FAILED_LOGIN_WINDOW = 15 * 60
FAILED_LOGIN_LIMIT = 5  # per (name, address) in the window
ADDRESS_FAILURE_LIMIT = 20  # per address, whatever the names, in the window
AUDITED_REFUSALS = 20  # refused log-ins audited one by one per window; the rest go into one summary row
REFUSALS_KEY = "console_login_refusals"
SESSION_LIFETIME = 12 * 3600
ACTIVITY_RESOLUTION = 60.0  # a session's last click is written at most once a minute
CSP = ("default-src 'none'; script-src 'nonce-{nonce}'; style-src 'unsafe-inline'; img-src 'self' data:; "
       "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")


def schema(db) -> None:
    db.execute("CREATE TABLE IF NOT EXISTS moderators (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, "
               "password_hash TEXT NOT NULL, created_at REAL NOT NULL, last_login_at REAL)")
    audit_log.schema(db)
    db.execute("CREATE TABLE IF NOT EXISTS login_failures (id INTEGER PRIMARY KEY, at REAL NOT NULL, name TEXT, address TEXT)")
    db.execute("CREATE INDEX IF NOT EXISTS login_failures_at ON login_failures(at)")
    db.execute("CREATE TABLE IF NOT EXISTS console_sessions (id INTEGER PRIMARY KEY, token_hash TEXT NOT NULL UNIQUE, "
               "moderator TEXT NOT NULL, created_at REAL NOT NULL, last_seen_at REAL NOT NULL, address TEXT)")
    db.execute("CREATE INDEX IF NOT EXISTS console_sessions_moderator ON console_sessions(moderator)")


def declare_personal_data(privacy) -> None:
    """The console's tables, for erasure and retention (bot/privacy.py)."""
    privacy.personal("audit_log", erase=audit_log.erase_subject, kept_from="at")
    privacy.personal("moderators", why="moderators' accounts (name, password hash): `flask --app app remove-moderator`")
    privacy.personal("login_failures", kept_from="at", max_age_days=1,
                     why="names typed and addresses of failed log-ins, for the lock-out; nothing about citizens")
    privacy.personal("console_sessions", kept_from="last_seen_at", max_age_days=1,
                     why="moderators' sessions (address); deleted at log-out, expired ones by the retention")


def secret_key(settings) -> str:
    """CONSOLE_SECRET_KEY, or a key made once and kept beside the database (shared by every worker)."""
    return settings.console_secret_key or kept_secret(Path(settings.database_path).parent / "console.key")


def audit(moderator: str | None, action: str, detail: str = "", conn=None, subject: str | None = None) -> None:
    """Record a console action: inside the caller's transaction when given `conn`, else in one of its own.
    `subject`: the pseudonym of the citizen it concerns (see bot/audit.py)."""
    if conn is not None:
        audit_log.record(conn, moderator, action, detail, request.remote_addr, subject)
        return
    with current_app.extensions["bot"].store.write() as own:
        audit_log.record(own, moderator, action, detail, request.remote_addr, subject)


def bot():
    """The BotRuntime of the app serving this request."""
    return current_app.extensions["bot"]


# -- sessions ---------------------------------------------------------------------------------------------------
def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def start_session(conn, moderator: str, now: float) -> str:
    """A new server-side session; returns its token (for the cookie; the database keeps only its hash)."""
    token = secrets.token_urlsafe(32)
    conn.execute("INSERT INTO console_sessions (token_hash, moderator, created_at, last_seen_at, address) "
                 "VALUES (?, ?, ?, ?, ?)", (_token_hash(token), moderator, now, now, request.remote_addr))
    return token


def end_sessions(conn, moderator: str) -> int:
    """End every session of `moderator` (password reset, account removed). Returns how many."""
    return conn.execute("DELETE FROM console_sessions WHERE moderator = ?", (moderator,)).rowcount


def _background() -> bool:
    """A page's own script asking for fresh figures (the .json endpoints): not a moderator's click."""
    return request.method == "GET" and request.path.endswith(".json")


def current_moderator() -> str | None:
    """The moderator of this request's session, if it is still valid (exists, not idle, not too old)."""
    token, name = session.get("sid"), session.get("moderator")
    if not token or not name:
        return None
    store = bot().store
    row = store.conn.execute("SELECT id, moderator, created_at, last_seen_at FROM console_sessions WHERE token_hash = ?",
                             (_token_hash(token),)).fetchone()
    if row is None or row["moderator"] != name:
        return None  # logged out, password reset, account removed
    now = time.time()
    idle = now - row["last_seen_at"] > bot().settings.console_idle_minutes * 60
    if idle or now - row["created_at"] > SESSION_LIFETIME:
        with store.write() as conn:
            if conn.execute("DELETE FROM console_sessions WHERE id = ?", (row["id"],)).rowcount:
                audit(name, "session_ended", "idle" if idle else "12 hours since log-in", conn=conn)
        flash("หมดเวลาการใช้งาน กรุณาเข้าสู่ระบบอีกครั้ง / Your session ended: please log in again", "error")
        return None
    if now - row["last_seen_at"] > ACTIVITY_RESOLUTION and not _background():
        with store.write() as conn:
            conn.execute("UPDATE console_sessions SET last_seen_at = ? WHERE id = ?", (now, row["id"]))
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


def signed_in_moderator() -> str | None:
    """The moderator signed in to the console on this request, if their session is still valid (pages outside
    the console ask: /healthz)."""
    return current_moderator()


# -- log-in -----------------------------------------------------------------------------------------------------
def _locked_out(conn, name: str, address: str | None, now: float) -> bool:
    since = now - FAILED_LOGIN_WINDOW
    by_pair = conn.execute("SELECT count(*) FROM login_failures WHERE at > ? AND name = ? AND address IS ?",
                           (since, name, address)).fetchone()[0]
    by_address = conn.execute("SELECT count(*) FROM login_failures WHERE at > ? AND address IS ?",
                              (since, address)).fetchone()[0]
    return by_pair >= FAILED_LOGIN_LIMIT or by_address >= ADDRESS_FAILURE_LIMIT


def _audit_refusal(conn, name: str, address: str | None, reason: str, now: float) -> None:
    """A refused log-in in the audit log: one row each for the first AUDITED_REFUSALS of a 15-minute window,
    then a single summary row for the window, updated with the count."""
    window = int(now // FAILED_LOGIN_WINDOW)
    row = conn.execute("SELECT value FROM runtime_state WHERE key = ?", (REFUSALS_KEY,)).fetchone()
    state = json.loads(row[0]) if row else {}
    if state.get("window") != window:
        state = {"window": window, "itemised": 0, "more": 0, "summary": None, "addresses": []}
    if state["itemised"] < AUDITED_REFUSALS:
        audit_log.record(conn, name or None, "login_failed", reason, address)
        state["itemised"] += 1
    else:
        state["more"] += 1
        if address not in state["addresses"] and len(state["addresses"]) < 100:
            state["addresses"].append(address)
        started = local_time(window * FAILED_LOGIN_WINDOW, bot().settings.tz)
        sources = len(state["addresses"])
        detail = (f"{state['more']} more refused log-ins in the 15 minutes from {started}, not listed one by one, "
                  f"from {sources}{'+' if sources >= 100 else ''} address{'es' if sources != 1 else ''}; "
                  f"the last: name {name[:40]!r}, {reason}")
        if state["summary"] is None:
            state["summary"] = audit_log.record(conn, None, "login_failed_summary", detail, address)
        else:
            conn.execute("UPDATE audit_log SET detail = ?, address = ? WHERE id = ?", (detail, address, state["summary"]))
    conn.execute("INSERT INTO runtime_state (key, value, updated_at) VALUES (?, ?, ?) ON CONFLICT(key) DO UPDATE "
                 "SET value = excluded.value, updated_at = excluded.updated_at", (REFUSALS_KEY, json.dumps(state), now))


@bp.route("/login", methods=["GET", "POST"])
def login():
    error, status = None, 200
    if request.method == "POST":
        store = bot().store
        name = request.form.get("name", "").strip()[:100]
        password = request.form.get("password", "")
        address, now = request.remote_addr, time.time()
        with store.write() as conn:
            if _locked_out(conn, name, address, now):
                error, status = "too many failed log-ins: wait 15 minutes", 429
                _audit_refusal(conn, name, address, error, now)
            else:  # counted as a failure until the password checks out
                conn.execute("INSERT INTO login_failures (at, name, address) VALUES (?, ?, ?)", (now, name, address))
        if error is None:
            row = store.conn.execute("SELECT password_hash FROM moderators WHERE name = ?", (name,)).fetchone()
            # Check a hash even for unknown names, so timing does not tell which names exist.
            ok = check_password_hash(row["password_hash"] if row else _DUMMY_HASH, password) and row is not None
            with store.write() as conn:
                if ok:
                    conn.execute("UPDATE moderators SET last_login_at = ? WHERE name = ?", (now, name))
                    conn.execute("DELETE FROM login_failures WHERE name = ? AND address IS ?", (name, address))
                    token = start_session(conn, name, now)
                    audit(name, "login", conn=conn)
                else:
                    error, status = "wrong name or password", 401
                    _audit_refusal(conn, name, address, error, now)
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
        conn.execute("DELETE FROM console_sessions WHERE token_hash = ?", (_token_hash(session["sid"]),))
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


# -- accounts -----------------------------------------------------------------------------------------------------
@click.command("add-moderator")
@click.argument("name")
@click.password_option(help="Asked for when not given (never put it on a command line others can see).")
@with_appcontext
def add_moderator(name: str, password: str) -> None:
    """Create (or reset the password of) a console account. A reset ends the account's sessions."""
    if len(password) < 10:
        raise click.ClickException("use a password of at least 10 characters")
    store = current_app.extensions["bot"].store
    with store.write() as conn:
        conn.execute("INSERT INTO moderators (name, password_hash, created_at) VALUES (?, ?, ?) ON CONFLICT(name) "
                     "DO UPDATE SET password_hash = excluded.password_hash", (name, generate_password_hash(password), time.time()))
        ended = end_sessions(conn, name)
        audit_log.record(conn, name, "account", f"created or reset (flask add-moderator); {ended} sessions ended")
    click.echo(f"moderator {name} can log in at /console" + (f" ({ended} sessions ended)" if ended else ""))


@click.command("remove-moderator")
@click.argument("name")
@with_appcontext
def remove_moderator(name: str) -> None:
    """Remove a console account; its sessions end at once."""
    store = current_app.extensions["bot"].store
    with store.write() as conn:
        if not conn.execute("DELETE FROM moderators WHERE name = ?", (name,)).rowcount:
            raise click.ClickException(f"no moderator named {name!r}")
        ended = end_sessions(conn, name)
        audit_log.record(conn, name, "account", f"removed (flask remove-moderator); {ended} sessions ended")
    click.echo(f"moderator {name} removed; {ended} sessions ended")


_DUMMY_HASH = generate_password_hash(secrets.token_hex(16))


def local_time(ts: float | None, tz) -> str:
    """A timestamp as moderators read it: in TIMEZONE, to the second."""
    return datetime.fromtimestamp(ts, tz).strftime("%Y-%m-%d %H:%M:%S") if ts else "-"


def install(app: Flask, bot) -> None:
    """Wire the console into the app: cookies, CSRF, the blueprint, the CLI commands."""
    from flask_wtf.csrf import CSRFProtect

    from ..messenger import webhook

    settings = bot.settings
    app.config.update(
        SECRET_KEY=secret_key(settings),
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=settings.base_url.startswith("https://"),
        PERMANENT_SESSION_LIFETIME=SESSION_LIFETIME,
        WTF_CSRF_TIME_LIMIT=None,  # the token lives as long as the session
    )
    csrf = CSRFProtect(app)
    csrf.exempt(webhook.bp)  # Facebook signs its posts; it cannot send our token
    from . import broadcasts, dashboard, faq_misses, handover, polls  # noqa: F401  (the page modules add their views to `bp`)
    app.register_blueprint(bp)
    app.add_template_filter(local_time, "localtime")
    app.cli.add_command(add_moderator)
    app.cli.add_command(remove_moderator)
    declare_personal_data(bot.privacy)
