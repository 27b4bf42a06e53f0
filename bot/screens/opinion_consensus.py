"""An opinion round's consensus and groups for the stream and its audience: a public screen (bot/public_screens.py).

Serves, through the public-screens server: `GET /live/opinions/<round>` (what every opinion group agrees on, then
each group's size and what sets it apart; `?lang=en`; `?overlay=1` for a transparent background in an OBS browser
source), `.json`, `.csv` (the consensus and distinctive statements) and `/events` (Server-Sent Events: the page
follows each new computation of the map without a reload). It reads the map the job queue stored
(bot/domain/opinion_results.py) and never computes one: viewers take nothing from the webhook. A draft round is 404
to the public.
"""
from __future__ import annotations

from jinja2 import Environment

from ..domain import opinion_results, opinions
from ..public_screens import Screen

SHOWN = 5  # consensus statements on the screen; each group's distinctive ones: 2


def snapshot(conn, round_id: int) -> dict | None:
    report = opinion_results.report(conn, round_id)
    if report is None:
        return None
    report.pop("points")
    report["consensus"] = report["consensus"][:SHOWN]
    for group in report["groups"]:
        group["distinctive"] = group["distinctive"][:2]
    return report


PAGE = Environment(autoescape=True).from_string("""<!doctype html>
<html lang="{{ lang }}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{ snap.title[lang] }}</title>
<style>
  body { margin: 0; padding: 4vh 5vw; font-family: "Sarabun", "Noto Sans Thai", "Loma", "Tahoma", sans-serif;
         background: {{ "transparent" if overlay else "#0b2545" }}; color: #fff; text-shadow: 0 2px 6px rgba(0,0,0,.6); }
  h1 { font-size: 4.6vh; margin: 0 0 2.5vh; }
  h2 { font-size: 3.4vh; margin: 3vh 0 1.5vh; color: #f4a261; }
  li { font-size: 3.2vh; margin: 1.2vh 0; }
  .pct { opacity: .8; font-size: 2.6vh; }
  .groups { display: flex; gap: 2vw; flex-wrap: wrap; }
  .group { flex: 1 1 25vw; background: rgba(255,255,255,.12); border-radius: 1.2vh; padding: 1.5vh 1.5vw; }
  .group h3 { margin: 0 0 1vh; font-size: 3vh; }
  .group li { font-size: 2.5vh; }
  .people { font-size: 2.4vh; opacity: .85; margin-top: 2vh; }
</style></head>
<body>
<h1 id="title">{{ snap.title[lang] }}</h1>
<h2>{{ labels.consensus }}</h2>
<ul id="consensus">{% for c in snap.consensus %}<li>{{ c.text[lang] }} <span class="pct">({{ labels[c.direction] }} {{ c.percent }}%)</span></li>
{% else %}<li class="pct">{{ labels.none }}</li>{% endfor %}</ul>
<h2>{{ labels.groups }}</h2>
<div class="groups" id="groups">{% for g in snap.groups %}<div class="group"><h3>{{ labels.group }} {{ g.label }} · {{ g.size }} {{ labels.people }}</h3>
<ul>{% for d in g.distinctive %}<li>{{ d.text[lang] }} <span class="pct">({{ labels[d.direction] }} {{ d.percent }}%)</span></li>{% endfor %}</ul></div>
{% else %}<p class="pct">{{ labels.none }}</p>{% endfor %}</div>
<div class="people" id="people">{{ labels.counted.format(snap.voters, snap.counted) }}{% if snap.state == "closed" %} · {{ labels.closed }}{% endif %}</div>
{% if stream %}<script>
  const lang = {{ lang|tojson }}, labels = {{ labels|tojson }};
  const item = (s) => { const li = document.createElement("li"); li.textContent = s.text[lang] + " ";
    const pct = document.createElement("span"); pct.className = "pct"; pct.textContent = `(${labels[s.direction]} ${s.percent}%)`;
    li.append(pct); return li; };
  const none = (tag) => { const e = document.createElement(tag); e.className = "pct"; e.textContent = labels.none; return e; };
  new EventSource({{ stream|tojson }}).onmessage = (message) => {
    const snap = JSON.parse(message.data);
    const consensus = document.getElementById("consensus");
    consensus.replaceChildren(...(snap.consensus.length ? snap.consensus.map(item) : [none("li")]));
    const groups = document.getElementById("groups");
    groups.replaceChildren(...(snap.groups.length ? snap.groups.map((g) => {
      const box = document.createElement("div"); box.className = "group";
      const h = document.createElement("h3"); h.textContent = `${labels.group} ${g.label} · ${g.size} ${labels.people}`;
      const ul = document.createElement("ul"); ul.append(...g.distinctive.map(item)); box.append(h, ul); return box;
    }) : [none("p")]));
    document.getElementById("people").textContent = labels.counted.replace("{}", snap.voters).replace("{}", snap.counted)
      + (snap.state === "closed" ? ` · ${labels.closed}` : "");
  };
</script>{% endif %}
</body></html>""")

LABELS = {
    "th": {"consensus": "ทุกกลุ่มเห็นตรงกันว่า", "groups": "กลุ่มความเห็น", "group": "กลุ่ม", "people": "คน",
           "agree": "เห็นด้วย", "disagree": "ไม่เห็นด้วย", "none": "ยังไม่มี รอความเห็นเพิ่มอีกสักครู่",
           "counted": "ร่วมตอบ {} คน · จัดกลุ่มจาก {} คนที่ตอบ 7 ข้อขึ้นไป", "closed": "ปิดรับความเห็นแล้ว"},
    "en": {"consensus": "Every group agrees", "groups": "Opinion groups", "group": "Group", "people": "people",
           "agree": "agree", "disagree": "disagree", "none": "Nothing yet: more views are on their way",
           "counted": "{} people took part · groups from the {} who answered 7 or more", "closed": "closed"},
}


def variant(args) -> dict:
    return {"lang": "en" if args.get("lang") == "en" else "th", "overlay": args.get("overlay") == "1"}


def page(snap: dict, variant: dict, stream: str | None) -> str:
    return PAGE.render(snap=snap, labels=LABELS[variant["lang"]], stream=stream, **variant)


def csv_rows(snap: dict) -> list[list]:
    rows = [["kind", "group", "statement", "th", "en", "direction", "percent"]]
    rows += [["consensus", "", c["statement"], c["text"]["th"], c["text"]["en"], c["direction"], c["percent"]]
             for c in snap["consensus"]]
    rows += [["distinctive", g["label"], d["statement"], d["text"]["th"], d["text"]["en"], d["direction"], d["percent"]]
             for g in snap["groups"] for d in g["distinctive"]]
    return rows


CONSENSUS = Screen(opinions.SCREEN, "/live/opinions/<int:key>", snapshot=snapshot, page=page, variant=variant,
                   csv=csv_rows, is_public=lambda snap: snap["state"] != "draft")
