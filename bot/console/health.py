"""`/healthz` for load balancers and monitors: 200 or 503 for anyone; the report behind it (backlogs, which process
holds the lease, its host name and pid, why it is unhealthy) only for a moderator signed in to the console and for
a monitor on this machine. Who may read the details is the console's call, so the endpoint is the console's too.
"""
from __future__ import annotations

import ipaddress

from flask import Blueprint, jsonify, request

from ..web import runtime
from .auth import current_moderator

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz():
    ok, report = runtime().health()
    if not may_see_details():
        report = {"status": report["status"]}
    return jsonify(report), 200 if ok else 503, {"Cache-Control": "no-store"}


def may_see_details() -> bool:
    """A signed-in moderator, or a direct connection from this machine. Not a request that came through a proxy:
    behind nginx every request comes from 127.0.0.1, so loopback alone proves nothing."""
    if current_moderator():
        return True
    if "X-Forwarded-For" in request.headers or "Forwarded" in request.headers:
        return False
    try:
        return ipaddress.ip_address(request.remote_addr or "").is_loopback
    except ValueError:
        return False
