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

The console uses the domain only (bot/domain/: accounts, sessions and lock-outs are moderators.py's rules) and
reaches the running bot through bot/web.py. Its pages are modules of this package (one a page), its templates
are in templates/console/; `install(app)` wires it into the app.
"""
from __future__ import annotations

from flask import Flask

from ..domain.clock import local_time
from ..domain.moderators import SESSION_LIFETIME
from . import auth, broadcasts, dashboard, faq_misses, handover, health, polls  # noqa: F401  (the pages add their views)


def install(app: Flask, secret_key: str, secure_cookies: bool) -> None:
    """Wire the console into the app: cookies (signed with `secret_key`), CSRF, the blueprints, `localtime`."""
    from flask_wtf.csrf import CSRFProtect

    app.config.update(
        SECRET_KEY=secret_key,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=secure_cookies,
        PERMANENT_SESSION_LIFETIME=SESSION_LIFETIME,
        WTF_CSRF_TIME_LIMIT=None,  # the token lives as long as the session
    )
    app.extensions["csrf"] = CSRFProtect(app)
    app.register_blueprint(auth.bp)
    app.register_blueprint(health.bp)
    app.add_template_filter(local_time, "localtime")
