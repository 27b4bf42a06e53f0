"""Poll results for the live stream and its audience: a public screen (bot/public_screens.py).

Serves, through the public-screens server: `GET /live/<id>` (large bars with counts and percentages; `?lang=en`;
`?overlay=1` for a transparent background in an OBS browser source), `GET /live/<id>.json`, `GET /live/<id>.csv`
(UTF-8 with a BOM) and `GET /live/<id>/events`, a Server-Sent Events stream that brings every change to the page
within a second (no reload). Rendered once per change, cached by ETag, pushed from an event loop:
made for the whole audience of the stream, not only the broadcast's screens. A draft poll is 404 to the public;
moderators preview it in the console. bot/domain/polls.py says when a poll's results change.
"""
from __future__ import annotations

from jinja2 import Environment

from ..domain import polls
from ..public_screens import Screen


def snapshot(conn, poll_id: int) -> dict | None:
    poll = polls.get(conn, poll_id)
    if poll is None:
        return None
    counts = polls.tally(conn, poll)
    total = sum(counts)
    return {"poll": poll.id, "state": poll.state, "question": poll.question, "total": total,
            "options": [{"th": o["th"], "en": o["en"], "votes": n, "percent": round(n * 100 / total, 1) if total else 0.0}
                        for o, n in zip(poll.options, counts)]}


PAGE = Environment(autoescape=True).from_string("""<!doctype html>
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
{% if stream %}<script>
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
</script>{% endif %}
</body></html>""")

LABELS = {"th": {"total": "ผู้โหวตทั้งหมด", "closed": "ปิดโหวตแล้ว"}, "en": {"total": "Votes", "closed": "closed"}}


def variant(args) -> dict:
    return {"lang": "en" if args.get("lang") == "en" else "th", "overlay": args.get("overlay") == "1"}


def page(snap: dict, variant: dict, stream: str | None) -> str:
    return PAGE.render(snap=snap, labels=LABELS[variant["lang"]], stream=stream, **variant)


def csv_rows(snap: dict) -> list[list]:
    return [["option", "th", "en", "votes", "percent"],
            *([i, o["th"], o["en"], o["votes"], o["percent"]] for i, o in enumerate(snap["options"], 1))]


RESULTS = Screen(polls.RESULTS_SCREEN, "/live/<int:key>", snapshot=snapshot, page=page, variant=variant, csv=csv_rows,
                 is_public=lambda snap: snap["state"] != "draft")
