"""The running bot inside Flask: `runtime()` is the BotRuntime of the app serving this request or command.

create_app attaches it once (`attach`); every view, blueprint and `flask --app app` command reaches it here, never
through `current_app.extensions` directly, so there is one way in and one name for it.
"""
from __future__ import annotations

from flask import Flask, current_app

KEY = "bot"


def attach(app: Flask, runtime) -> None:
    app.extensions[KEY] = runtime


def runtime():
    """The BotRuntime (bot/runtime.py) of the current app; needs an application context (a request, a command)."""
    return current_app.extensions[KEY]


def of(app: Flask):
    """The BotRuntime of `app`, outside any context (app.py's `main`, the tests)."""
    return app.extensions[KEY]
