"""The moderators' web console: accounts, log-in, and the dashboard.

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
from pathlib import Path

import click
from flask import Blueprint, Flask, Response, current_app, redirect, render_template, request, session, url_for
from flask.cli import with_appcontext
from werkzeug.security import check_password_hash, generate_password_hash

bp = Blueprint("console", __name__, url_prefix="/console", template_folder="templates")
FAILED_LOGIN_LIMIT = 5
FAILED_LOGIN_WINDOW = 15 * 60


def schema(db) -> None:
    db.execute("CREATE TABLE IF NOT EXISTS moderators (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, "
               "password_hash TEXT NOT NULL, created_at REAL NOT NULL, last_login_at REAL)")
    db.execute("CREATE TABLE IF NOT EXISTS audit_log (id INTEGER PRIMARY KEY, at REAL NOT NULL, moderator TEXT, "
               "action TEXT NOT NULL, detail TEXT, address TEXT)")
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


def audit(moderator: str | None, action: str, detail: str = "") -> None:
    store = current_app.extensions["bot"].store
    with store.write() as conn:
        conn.execute("INSERT INTO audit_log (at, moderator, action, detail, address) VALUES (?, ?, ?, ?, ?)",
                     (time.time(), moderator, action, detail[:500], request.remote_addr if request else None))


def login_required(view):
    @functools.wraps(view)
    def wrapped(*args, **kwargs):
        if not session.get("moderator"):
            return redirect(url_for("console.login", next=request.path))
        return view(*args, **kwargs)
    return wrapped


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


def dashboard_figures(conn) -> dict:
    now = time.time()
    day_start = now - (now % 86400)
    one = lambda sql, *a: conn.execute(sql, a).fetchone()[0]  # noqa: E731
    poll = conn.execute("SELECT id, question_th FROM polls WHERE state = 'open' ORDER BY id DESC LIMIT 1").fetchone()
    poll_counts = []
    if poll is not None:
        from . import polls

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
    }


@bp.get("/")
@login_required
def dashboard():
    figures = dashboard_figures(current_app.extensions["bot"].store.conn)
    return render_template("console/dashboard.html", f=figures, moderator=session["moderator"])


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


@bp.get("/faq-misses")
@login_required
def faq_misses():
    from handlers.faq import frequent_misses

    rows = frequent_misses(current_app.extensions["bot"].store.conn, days=7, limit=100)
    return render_template("console/faq_misses.html", rows=rows, moderator=session["moderator"])


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
        conn.execute("INSERT INTO audit_log (at, moderator, action, detail) VALUES (?, ?, 'account', 'created or reset')",
                     (time.time(), name))
    click.echo(f"moderator {name} can log in at /console")


_DUMMY_HASH = generate_password_hash(secrets.token_hex(16))


def install(app: Flask, bot) -> None:
    """Wire the console into the app: cookies, CSRF, the blueprint, the CLI command."""
    from flask_wtf.csrf import CSRFProtect

    from . import webhook

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
    app.register_blueprint(bp)
    app.cli.add_command(add_moderator)
