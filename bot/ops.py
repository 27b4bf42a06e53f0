"""Operational endpoints: `/healthz` for load balancers and monitors, `/local/info` for the local chat."""
from __future__ import annotations

from flask import Blueprint, current_app, jsonify

bp = Blueprint("ops", __name__)


@bp.get("/healthz")
def healthz():
    ok, report = current_app.extensions["bot"].health()
    return jsonify(report), 200 if ok else 503


@bp.get("/local/info")
def local_info():
    """Where the fake Graph API of a local-mode bot listens (so `flask chat` can read the replies)."""
    bot = current_app.extensions["bot"]
    if not bot.settings.local_mode:
        return jsonify(error="not in local mode"), 404
    return jsonify(graph_api_url=bot.client.base_url)
