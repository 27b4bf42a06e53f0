"""`/simulator`: a Messenger-like chat in the browser for trying the bot locally (local mode only); and
`/local/info`, where `flask chat` learns the address of a running local bot's fake Graph API.

It is the Bot Framework Emulator idea with nothing to install: what you type goes through the real signed
webhook as a Messenger event, and what the bot sends is read back from the fake Graph API, so the page shows
exactly what Facebook would have been asked to deliver (quick replies, buttons, carousels). With a
PAGE_ACCESS_TOKEN set (production) the pages do not exist: they would let anyone speak as any PSID.
"""
from __future__ import annotations

import secrets

import requests

from flask import Blueprint, abort, jsonify, render_template, request

from ..numbers import ROW_ID_MAX, small_int
from ..web import runtime
from . import simulator
from .payloads import GET_STARTED

bp = Blueprint("simulator", __name__, template_folder="../console/templates")

KINDS = {"text", "quick_reply", "postback", "sticker", "image", "get_started"}


def _bot():
    bot = runtime()
    if not bot.settings.local_mode or bot.fake_graph is None:
        abort(404)
    return bot


@bp.get("/local/info")
def local_info():
    """Where the fake Graph API of this local-mode bot listens (so `flask chat` can read the replies)."""
    return jsonify(graph_api_url=_bot().client.base_url)


@bp.get("/simulator")
def page():
    _bot()
    psid = request.args.get("psid") or f"web{secrets.randbelow(10**12):012d}"
    return render_template("simulator.html", psid=psid)


@bp.post("/simulator/send")
def send():
    bot = _bot()
    data = request.get_json(silent=True) or {}
    psid, kind = str(data.get("psid", ""))[:64], data.get("kind", "text")
    if not psid.isalnum() or kind not in KINDS:
        return jsonify(error="psid (letters and digits) and a known kind are required"), 400
    text, payload = str(data.get("text", ""))[:2000], str(data.get("payload", ""))[:1000]
    if kind == "text" and not text.strip():
        return jsonify(error="nothing to send"), 400
    event = {
        "text": lambda: simulator.text(psid, text),
        "quick_reply": lambda: simulator.quick_reply(psid, text, payload),
        "postback": lambda: simulator.postback(psid, payload, text),
        "sticker": lambda: simulator.sticker(psid, simulator.LIKE_STICKER),
        "image": lambda: simulator.image(psid),
        "get_started": lambda: simulator.postback(psid, GET_STARTED.build(), "Get Started"),
    }[kind]()
    # Through the real webhook over HTTP, signed like Facebook: the page tests what production runs.
    answer = simulator.Webhook(request.host_url.rstrip("/"), bot.settings.app_secret).post(simulator.page_body([event]))
    return jsonify(status=answer.status_code), (200 if answer.status_code == 200 else 502)


@bp.get("/simulator/messages")
def messages():
    bot = _bot()
    psid = request.args.get("psid", "")
    # Numbers from outside are range-checked: a NaN or 1e999 wait, a 40-digit cursor get a 400, not a 500.
    after = small_int(request.args.get("after", "0"), 0, ROW_ID_MAX)
    wait = small_int(request.args.get("wait", "0"), 0, 20)
    if after is None or wait is None:
        return jsonify(error="after (a message id) and wait (0 to 20 seconds) must be whole numbers"), 400
    try:
        found = simulator.FakeGraph(bot.fake_graph.url).messages(psid, after=after, wait=wait)
    except requests.RequestException:  # the fake is stopping with the bot: the page retries
        return jsonify(error="the fake Graph API is not answering"), 503
    return jsonify(messages=[{"id": m["id"], "body": m["body"], **({"rendered": m["rendered"]} if "rendered" in m else {})}
                             for m in found])
