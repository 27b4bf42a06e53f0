"""A session's questions for the stream and its audience: a public screen (bot/public_screens.py).

Serves, through the public-screens server: `GET /live/qa/<session>` (the pinned question large, then the top
questions by upvotes; `?lang=en`; `?overlay=1`, a transparent background for an OBS browser source, the pinned
question and the top three only), `.json`, `.csv` (UTF-8 with a BOM) and `/events` (Server-Sent Events: every
change within a second, no reload). Approved questions only: nothing a citizen wrote is here before a moderator
approved it (or the session auto-approves). No asker's identity either: the first name they chose to show, or
nothing. A session that never took questions is 404. bot/domain/questions.py says when the screen changes.
"""
from __future__ import annotations

from jinja2 import Environment

from ..domain import questions
from ..public_screens import Screen

TOP = 10  # questions on the full screen
OVERLAY_TOP = 3  # under the pinned one, on the overlay


def _item(q: questions.Question) -> dict:
    return {"id": q.id, "text": q.text, "name": q.shown_name, "upvotes": q.upvotes, "answered": q.answered_at is not None}


def snapshot(conn, session_id: str) -> dict | None:
    session = questions.get_session(conn, session_id)
    if session is None:
        return None
    approved = questions.of_session(conn, session_id, ("approved",), limit=TOP + 1)
    pinned = questions.get(conn, session.pinned) if session.pinned else None
    top = [_item(q) for q in approved if q.id != session.pinned][:TOP]
    return {"session": session_id, "state": session.state,
            "pinned": _item(pinned) if pinned is not None and pinned.status == "approved" else None, "questions": top}


PAGE = Environment(autoescape=True).from_string("""<!doctype html>
<html lang="{{ lang }}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{ labels.title }}</title>
<style>
  body { margin: 0; padding: 4vh 5vw; font-family: "Sarabun", "Noto Sans Thai", "Loma", "Tahoma", sans-serif;
         background: {{ "transparent" if overlay else "#0b2545" }}; color: #fff; }
  h1 { font-size: 4vh; margin: 0 0 2vh; text-shadow: 0 2px 6px rgba(0,0,0,.6); }
  .pinned { font-size: 5vh; background: rgba(11,37,69,.85); border-left: 1vh solid #f4a261; padding: 2vh 2vw; margin-bottom: 3vh; }
  .row { font-size: 3.2vh; display: flex; justify-content: space-between; gap: 2vw; margin: 1.6vh 0;
         text-shadow: 0 2px 6px rgba(0,0,0,.6); }
  .name, .empty { opacity: .8; font-size: .8em; }
  .count { white-space: nowrap; }
</style></head>
<body>
{% if not overlay %}<h1>{{ labels.title }}</h1>{% endif %}
<div class="pinned" id="pinned"{% if not snap.pinned %} hidden{% endif %}>{% if snap.pinned %}{{ snap.pinned.text }}{% if snap.pinned.name %} <span class="name">— {{ snap.pinned.name }}</span>{% endif %}{% endif %}</div>
<div id="rows">{% for q in snap.questions[:top] %}
  <div class="row"><span>{{ q.text }}{% if q.name %} <span class="name">— {{ q.name }}</span>{% endif %}{% if q.answered %} ✅{% endif %}</span>
    <span class="count">👍 {{ q.upvotes }}</span></div>{% else %}<p class="empty">{{ labels.empty }}</p>{% endfor %}
</div>
{% if stream %}<script>
  const top = {{ top|tojson }}, labels = {{ labels|tojson }};
  const line = (q) => { const span = document.createElement("span"); span.textContent = q.text;
    if (q.name) { const n = document.createElement("span"); n.className = "name"; n.textContent = ` — ${q.name}`; span.append(n); }
    if (q.answered) span.append(" ✅"); return span; };
  const source = new EventSource({{ stream|tojson }});
  source.onmessage = (message) => {
    const snap = JSON.parse(message.data), pinned = document.getElementById("pinned"), rows = document.getElementById("rows");
    pinned.hidden = !snap.pinned; pinned.replaceChildren(...(snap.pinned ? [line(snap.pinned)] : []));
    const items = snap.questions.slice(0, top).map((q) => {
      const row = document.createElement("div"), count = document.createElement("span");
      row.className = "row"; count.className = "count"; count.textContent = `👍 ${q.upvotes}`;
      row.append(line(q), count); return row; });
    if (!items.length) { const p = document.createElement("p"); p.className = "empty"; p.textContent = labels.empty; items.push(p); }
    rows.replaceChildren(...items);
  };
</script>{% endif %}
</body></html>""")

LABELS = {"th": {"title": "คำถามถึงวิทยากร", "empty": "ยังไม่มีคำถาม ส่งคำถามได้ทาง Messenger ของเพจ"},
          "en": {"title": "Questions for the speakers", "empty": "No questions yet: ask on the Page's Messenger"}}


def variant(args) -> dict:
    return {"lang": "en" if args.get("lang") == "en" else "th", "overlay": args.get("overlay") == "1"}


def page(snap: dict, variant: dict, stream: str | None) -> str:
    return PAGE.render(snap=snap, labels=LABELS[variant["lang"]], stream=stream,
                       top=OVERLAY_TOP if variant["overlay"] else TOP, **variant)


def csv_rows(snap: dict) -> list[list]:
    listed = ([{**snap["pinned"], "pinned": True}] if snap["pinned"] else []) + snap["questions"]
    return [["id", "question", "name", "upvotes", "answered", "pinned"],
            *([q["id"], q["text"], q["name"] or "", q["upvotes"], q["answered"], q.get("pinned", False)] for q in listed)]


QUESTIONS = Screen(questions.SCREEN, "/live/qa/<key>", snapshot=snapshot, page=page, variant=variant, csv=csv_rows)
