"""Operational endpoints: `/healthz` for load balancers and monitors, `/local/info` for the local chat."""
from __future__ import annotations

import ipaddress

from flask import Blueprint, current_app, jsonify, request

from .console import signed_in_moderator

bp = Blueprint("ops", __name__)


@bp.get("/healthz")
def healthz():
    """200 or 503 for anyone (a load balancer needs no more); the report behind it (backlogs, which process holds
    the lease, its host name and pid, why it is unhealthy) only for moderators signed in to the console and for
    a monitor on this machine."""
    ok, report = current_app.extensions["bot"].health()
    if not may_see_details():
        report = {"status": report["status"]}
    return jsonify(report), 200 if ok else 503, {"Cache-Control": "no-store"}


def may_see_details() -> bool:
    """A signed-in moderator, or a direct connection from this machine. Not a request that came through a proxy:
    behind nginx every request comes from 127.0.0.1, so loopback alone proves nothing."""
    if signed_in_moderator():
        return True
    if "X-Forwarded-For" in request.headers or "Forwarded" in request.headers:
        return False
    try:
        return ipaddress.ip_address(request.remote_addr or "").is_loopback
    except ValueError:
        return False


@bp.get("/local/info")
def local_info():
    """Where the fake Graph API of a local-mode bot listens (so `flask chat` can read the replies)."""
    bot = current_app.extensions["bot"]
    if not bot.settings.local_mode:
        return jsonify(error="not in local mode"), 404
    return jsonify(graph_api_url=bot.client.base_url)
