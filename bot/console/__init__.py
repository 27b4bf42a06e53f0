"""The moderators' web console: accounts, log-in, the audit log; the pages are modules of this package.

Security: passwords hashed with werkzeug.security (scrypt); a signed session cookie (HttpOnly, SameSite=Lax,
Secure when PUBLIC_URL is https) whose key lives in instance/console.key (or CONSOLE_SECRET_KEY); CSRF tokens on
every form (Flask-WTF's CSRFProtect; the webhook, signed by Facebook, is exempt); at most 5 failed log-ins per
15 minutes per address and per name; every log-in, log-out and action recorded in the audit log.
`flask --app app add-moderator NAME` creates an account (the password is asked for, never an argument).
"""
from __future__ import annotations

import functools
import os
import secrets
import time
from datetime import datetime
from pathlib import Path

import click
from flask import Blueprint, Flask, current_app, redirect, render_template, request, session, url_for
from flask.cli import with_appcontext
from werkzeug.security import check_password_hash, generate_password_hash

from .. import audit as audit_log

bp = Blueprint("console", __name__, url_prefix="/console", template_folder="templates")
FAILED_LOGIN_LIMIT = 5
FAILED_LOGIN_WINDOW = 15 * 60


def schema(db) -> None:
    db.execute("CREATE TABLE IF NOT EXISTS moderators (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, "
               "password_hash TEXT NOT NULL, created_at REAL NOT NULL, last_login_at REAL)")
    audit_log.schema(db)
    db.execute("CREATE TABLE IF NOT EXISTS login_failures (id INTEGER PRIMARY KEY, at REAL NOT NULL, name TEXT, address TEXT)")
    db.execute("CREATE INDEX IF NOT EXISTS login_failures_at ON login_failures(at)")


def secret_key(settings) -> str:
    """CONSOLE_SECRET_KEY, or a key made once and kept beside the database (shared by every worker)."""
    if settings.console_secret_key:
        return settings.console_secret_key
    path = Path(settings.database_path).parent / "console.key"
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text().strip()
    with os.fdopen(fd, "w") as fh:
        fh.write(secrets.token_hex(32))
    return path.read_text().strip()


def audit(moderator: str | None, action: str, detail: str = "", conn=None) -> None:
    """Record a console action: inside the caller's transaction when given `conn`, else in one of its own."""
    if conn is not None:
        audit_log.record(conn, moderator, action, detail, request.remote_addr)
        return
    with current_app.extensions["bot"].store.write() as own:
        audit_log.record(own, moderator, action, detail, request.remote_addr)


def bot():
    """The BotRuntime of the app serving this request."""
    return current_app.extensions["bot"]


def login_required(view):
    @functools.wraps(view)
    def wrapped(*args, **kwargs):
        if not session.get("moderator"):
            return redirect(url_for("console.login", next=request.path))
        return view(*args, **kwargs)
    return wrapped


def signed_in_moderator() -> str | None:
    """The moderator signed in to the console on this request, if any (pages outside the console ask: /healthz)."""
    return session.get("moderator") or None


def _too_many_failures(conn, name: str, address: str | None) -> bool:
    since = time.time() - FAILED_LOGIN_WINDOW
    by_name = conn.execute("SELECT count(*) FROM login_failures WHERE at > ? AND name = ?", (since, name)).fetchone()[0]
    by_address = conn.execute("SELECT count(*) FROM login_failures WHERE at > ? AND address = ?", (since, address)).fetchone()[0]
    return by_name >= FAILED_LOGIN_LIMIT or by_address >= FAILED_LOGIN_LIMIT


@bp.route("/login", methods=["GET", "POST"])
def login():
    error, status = None, 200
    if request.method == "POST":
        store = current_app.extensions["bot"].store
        name = request.form.get("name", "").strip()[:100]
        password = request.form.get("password", "")
        with store.write() as conn:
            if _too_many_failures(conn, name, request.remote_addr):
                error, status = "too many failed log-ins: wait 15 minutes", 429
            else:
                row = conn.execute("SELECT password_hash FROM moderators WHERE name = ?", (name,)).fetchone()
                # Check a hash even for unknown names, so timing does not tell which names exist.
                ok = check_password_hash(row["password_hash"] if row else _DUMMY_HASH, password) and row is not None
                if ok:
                    conn.execute("UPDATE moderators SET last_login_at = ? WHERE name = ?", (time.time(), name))
                    conn.execute("DELETE FROM login_failures WHERE name = ?", (name,))
                else:
                    conn.execute("INSERT INTO login_failures (at, name, address) VALUES (?, ?, ?)",
                                 (time.time(), name, request.remote_addr))
                    error, status = "wrong name or password", 401
        if error is None:
            session.clear()
            session["moderator"] = name
            session.permanent = True
            audit(name, "login")
            target = request.args.get("next", "")
            return redirect(target if target.startswith("/console") else url_for("console.dashboard"))
        audit(name or None, "login_failed", error)
    return render_template("console/login.html", error=error), status


@bp.post("/logout")
@login_required
def logout():
    audit(session.get("moderator"), "logout")
    session.clear()
    return redirect(url_for("console.login"))


@click.command("add-moderator")
@click.argument("name")
@click.password_option(help="Asked for when not given (never put it on a command line others can see).")
@with_appcontext
def add_moderator(name: str, password: str) -> None:
    """Create (or reset the password of) a console account."""
    if len(password) < 10:
        raise click.ClickException("use a password of at least 10 characters")
    store = current_app.extensions["bot"].store
    with store.write() as conn:
        conn.execute("INSERT INTO moderators (name, password_hash, created_at) VALUES (?, ?, ?) ON CONFLICT(name) "
                     "DO UPDATE SET password_hash = excluded.password_hash", (name, generate_password_hash(password), time.time()))
        audit_log.record(conn, name, "account", "created or reset (flask add-moderator)")
    click.echo(f"moderator {name} can log in at /console")


_DUMMY_HASH = generate_password_hash(secrets.token_hex(16))


def local_time(ts: float | None, tz) -> str:
    """A timestamp as moderators read it: in TIMEZONE, to the second."""
    return datetime.fromtimestamp(ts, tz).strftime("%Y-%m-%d %H:%M:%S") if ts else "-"


def install(app: Flask, bot) -> None:
    """Wire the console into the app: cookies, CSRF, the blueprint, the CLI command."""
    from flask_wtf.csrf import CSRFProtect

    from .. import webhook

    settings = bot.settings
    app.config.update(
        SECRET_KEY=secret_key(settings),
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=settings.base_url.startswith("https://"),
        PERMANENT_SESSION_LIFETIME=12 * 3600,
        WTF_CSRF_TIME_LIMIT=None,  # the token lives as long as the session
    )
    csrf = CSRFProtect(app)
    csrf.exempt(webhook.bp)  # Facebook signs its posts; it cannot send our token
    from . import broadcasts, dashboard, handover, polls  # noqa: F401  (the page modules add their views to `bp`)
    app.register_blueprint(bp)
    app.add_template_filter(local_time, "localtime")
    app.cli.add_command(add_moderator)
