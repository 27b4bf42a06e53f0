"""Poll results for the live stream: a page that updates itself, and the same numbers for machines.

Serves: `GET /live/<id>` (large bars with counts and percentages; `?lang=en`; `?overlay=1` for a transparent
background in an OBS browser source), `GET /live/<id>.json`, `GET /live/<id>.csv` (UTF-8 with a BOM), and
`GET /live/<id>/events`, a Server-Sent Events stream that sends a new snapshot within a quarter of a second of a
change (the page listens to it; no reload). Each stream holds one server thread: meant for the few screens of
the broadcast, not for the audience.
"""
from __future__ import annotations

import json
import time

from flask import Blueprint, Response, abort, current_app, render_template_string, request

from bot import polls
from bot.csv_export import csv_document

bp = Blueprint("live", __name__)
POLL_INTERVAL = 0.25  # seconds between looks at the tally (a cheap indexed count)
KEEPALIVE = 15.0
STREAM_FOR = 3 * 3600  # a browser source reconnects by itself after this


def snapshot(conn, poll_id: int) -> dict | None:
    poll = polls.get(conn, poll_id)
    if poll is None:
        return None
    counts = polls.tally(conn, poll)
    total = sum(counts)
    return {"poll": poll.id, "state": poll.state, "question": poll.question, "total": total,
            "options": [{"th": o["th"], "en": o["en"], "votes": n, "percent": round(n * 100 / total, 1) if total else 0.0}
                        for o, n in zip(poll.options, counts)]}


def _snapshot_or_404(poll_id: int) -> dict:
    snap = snapshot(current_app.extensions["bot"].store.conn, poll_id)
    if snap is None:
        abort(404)
    return snap


@bp.get("/live/<int:poll_id>.json")
def results_json(poll_id: int):
    return Response(json.dumps(_snapshot_or_404(poll_id), ensure_ascii=False), mimetype="application/json",
                    headers={"Cache-Control": "no-store"})


@bp.get("/live/<int:poll_id>.csv")
def results_csv(poll_id: int):
    snap = _snapshot_or_404(poll_id)
    rows = ([i, o["th"], o["en"], o["votes"], o["percent"]] for i, o in enumerate(snap["options"], 1))
    return Response(csv_document(["option", "th", "en", "votes", "percent"], rows), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="poll-{poll_id}.csv"'})


@bp.get("/live/<int:poll_id>/events")
def results_stream(poll_id: int):
    store = current_app.extensions["bot"].store
    if snapshot(store.conn, poll_id) is None:
        abort(404)

    def events():
        last, quiet_since, until = None, time.time(), time.time() + STREAM_FOR
        while time.time() < until:
            snap = snapshot(store.conn, poll_id)
            if snap != last:
                last, quiet_since = snap, time.time()
                yield f"data: {json.dumps(snap, ensure_ascii=False)}\n\n"
            elif time.time() - quiet_since > KEEPALIVE:
                quiet_since = time.time()
                yield ": keepalive\n\n"
            time.sleep(POLL_INTERVAL)

    return Response(events(), mimetype="text/event-stream",
                    headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"})


PAGE = """<!doctype html>
<html lang="{{ lang }}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{ snap.question[lang] }}</title>
<style>
  body { margin: 0; padding: 4vh 5vw; font-family: "Sarabun", "Noto Sans Thai", "Loma", "Tahoma", sans-serif;
         background: {{ "transparent" if overlay else "#0b2545" }}; color: #fff; }
  h1 { font-size: 5vh; margin: 0 0 3vh; text-shadow: 0 2px 6px rgba(0,0,0,.6); }
  .row { margin: 2.2vh 0; }
  .label { font-size: 3.6vh; display: flex; justify-content: space-between; text-shadow: 0 2px 6px rgba(0,0,0,.6); }
  .track { background: rgba(255,255,255,.18); border-radius: 1vh; height: 5vh; overflow: hidden; }
  .bar { background: #f4a261; height: 100%; width: 0; transition: width .4s ease; }
  .total { font-size: 2.6vh; opacity: .85; margin-top: 3vh; }
</style></head>
<body>
<h1 id="question">{{ snap.question[lang] }}</h1>
<div id="rows">{% for o in snap.options %}
  <div class="row"><div class="label"><span>{{ loop.index }}. {{ o[lang] }}</span>
    <span class="count">{{ o.votes }} ({{ o.percent }}%)</span></div>
  <div class="track"><div class="bar" style="width: {{ o.percent }}%"></div></div></div>{% endfor %}
</div>
<div class="total" id="total">{{ labels.total }} {{ snap.total }}{% if snap.state == "closed" %} · {{ labels.closed }}{% endif %}</div>
<script>
  const lang = {{ lang|tojson }}, labels = {{ labels|tojson }};
  const source = new EventSource({{ stream|tojson }});
  source.onmessage = (message) => {
    const snap = JSON.parse(message.data);
    document.querySelectorAll("#rows .row").forEach((row, i) => {
      const o = snap.options[i];
      row.querySelector(".count").textContent = `${o.votes} (${o.percent}%)`;
      row.querySelector(".bar").style.width = `${o.percent}%`;
    });
    document.getElementById("total").textContent =
      `${labels.total} ${snap.total}` + (snap.state === "closed" ? ` · ${labels.closed}` : "");
  };
</script>
</body></html>"""

LABELS = {"th": {"total": "ผู้โหวตทั้งหมด", "closed": "ปิดโหวตแล้ว"}, "en": {"total": "Votes", "closed": "closed"}}


@bp.get("/live/<int:poll_id>")
def results_page(poll_id: int):
    snap = _snapshot_or_404(poll_id)
    lang = "en" if request.args.get("lang") == "en" else "th"
    return render_template_string(PAGE, snap=snap, lang=lang, overlay=request.args.get("overlay") == "1",
                                  labels=LABELS[lang], stream=f"/live/{poll_id}/events")


def register(bot) -> None:
    bot.blueprints.append(bp)
