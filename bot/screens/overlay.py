"""Bars on a screen: the one layout every results-like public screen uses (polls today; audience questions and
opinion rounds plug in the same way), as a page for phones and as overlays for the stream in OBS.

A screen says how its snapshot becomes bars, once, and gets its page, its two OBS overlays and its live updates:

    def bars(snap) -> dict:   # {"title": {"th", "en"}, "rows": [{"th", "en", "count", "percent"}],
        ...                    #  "total": {"th", "en"}, "note": {"th", "en"} or None}

    RESULTS = overlay.bars_screen("poll", "/live/<int:key>", snapshot, bars, is_public=..., csv=...)

The snapshot served as JSON and pushed to open pages gains a "bars" key (what the page draws); the page's script
knows only that key, so it serves every screen. Query arguments (bounded choices, see `variant`):

- `?lang=en` — English (Thai is the default);
- `?overlay=full` (or the old `?overlay=1`) — a full-frame overlay for an OBS browser source of 1920×1080;
- `?overlay=lower` — a lower third: one band at the foot of the frame, the video above it stays visible.

Why it looks like this (each point is measured in tests/test_overlays.py):
- The backing panel: white type straight on a video frame is unreadable over a bright frame. The panel is a dark
  navy at 90% opacity, so its white type keeps WCAG 2.1 AA contrast (4.5:1, success criterion 1.4.3) whether
  the frame behind it is white or black; the bars' colour keeps 3:1 against the panel (1.4.11, non-text).
- Safe margins: everything inside the graphics-safe area of EBU R 95 (5% of the width and of the height on each
  side), which TV sets, stream players and phone crops leave visible.
- Type: a stream at 1920×1080 watched on a phone is shrunk about five times, so no text of an overlay is under
  44 px (about 9 px on a phone held upright, 19 px held sideways); Thai needs room above and below the line for
  its vowels and tone marks (line-height 1.35).
- Counts and totals have a text shadow, bars with no votes have no width at all (no stub that reads as a vote),
  and a name never runs into its count: the count is its own column, never wrapped, at any width.
"""
from __future__ import annotations

from typing import Any, Callable, Mapping

from jinja2 import Environment

from ..public_screens import Screen

LAYOUTS = {"1": "full", "full": "full", "lower": "lower", "lower-third": "lower"}


def variant(args: Mapping[str, str]) -> dict:
    """The page's variant from its query arguments: a language and a layout (`page`, `full` or `lower`)."""
    return {"lang": "en" if args.get("lang") == "en" else "th", "layout": LAYOUTS.get(args.get("overlay", ""), "page")}


def with_bars(snap: dict | None, bars: Callable[[dict], dict]) -> dict | None:
    """The snapshot with its bars added (None stays None): what the page draws and what the live stream pushes."""
    return None if snap is None else {**snap, "bars": bars(snap)}


def render(snap: dict, variant: dict, stream: str | None) -> str:
    """The HTML page of a snapshot made by `with_bars`, in the variant's language and layout."""
    lang, bars = variant["lang"], snap["bars"]
    return PAGE.render(bars=bars, lang=lang, layout=variant["layout"], stream=stream,
                       columns=min(max(len(bars["rows"]), 1), 5))


def bars_screen(name: str, route: str, snapshot: Callable[[Any, Any], dict | None], bars: Callable[[dict], dict],
                **options: Any) -> Screen:
    """A `Screen` drawn with this layout: `snapshot` as the screen's own data, `bars` turns it into bars;
    `options` are the Screen's other fields (is_public, csv)."""
    return Screen(name, route, snapshot=lambda conn, key: with_bars(snapshot(conn, key), bars), page=render,
                  variant=variant, **options)


PAGE = Environment(autoescape=True).from_string("""<!doctype html>
<html lang="{{ lang }}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{ bars.title[lang] }}</title>
<style>
  :root { --panel: rgba(8, 24, 48, .9); --bar: #f4a261; --track: rgba(255, 255, 255, .22);
          --shadow: 0 .06em .12em rgba(0, 0, 0, .85), 0 0 .3em rgba(0, 0, 0, .6); }
  * { box-sizing: border-box; }
  html, body { margin: 0; }
  body { font-family: "Sarabun", "Noto Sans Thai", "Loma", "Tahoma", sans-serif; color: #fff; line-height: 1.35; }
  h1 { margin: 0; font-weight: 700; overflow-wrap: anywhere; }
  ol { list-style: none; margin: 0; padding: 0; }
  .label { display: grid; grid-template-columns: minmax(0, 1fr) auto; column-gap: .6em; align-items: baseline; }
  .name { overflow-wrap: anywhere; min-width: 0; }
  .count, .total { white-space: nowrap; font-variant-numeric: tabular-nums; text-shadow: var(--shadow); font-weight: 700; }
  .track { background: var(--track); border-radius: .25em; overflow: hidden; }
  .bar { background: var(--bar); height: 100%; width: 0; transition: width .4s ease; }
  .panel { background: var(--panel); }
  /* the page: phones first, any width */
  body.page { background: #0b2545; padding: 1rem max(1rem, 4vw); font-size: clamp(1.05rem, 2.6vw, 2.2rem); }
  body.page .panel { background: none; }
  body.page h1 { font-size: 1.45em; margin-bottom: .7em; }
  body.page li { margin: .9em 0; }
  body.page .track { height: 1.1em; margin-top: .2em; }
  body.page .total { margin-top: 1.2em; opacity: .9; font-weight: 400; }
  /* OBS overlays, 1920×1080: transparent outside the panel, the panel inside EBU R 95's graphics-safe area */
  body.full, body.lower { background: transparent; width: 100vw; height: 100vh; overflow: hidden; }
  body.full .panel { position: absolute; left: 5vw; right: 5vw; top: 5vh; bottom: 5vh; border-radius: 24px;
                     padding: 48px 64px; display: flex; flex-direction: column; justify-content: center; }
  body.full h1 { font-size: 64px; margin-bottom: 28px; text-shadow: var(--shadow); }
  body.full li { margin: 14px 0; font-size: 50px; }
  body.full .track { height: 36px; margin-top: 6px; }
  body.full .total { font-size: 44px; margin-top: 20px; }
  body.lower .panel { position: absolute; left: 5vw; right: 5vw; bottom: 5vh; border-radius: 20px; padding: 22px 40px 24px;
                      display: grid; grid-template-columns: minmax(0, 1fr) auto; column-gap: 40px; align-items: baseline; }
  body.lower h1 { grid-row: 1; grid-column: 1; font-size: 48px; white-space: nowrap; overflow: hidden; text-overflow: ellipsis; text-shadow: var(--shadow); }
  body.lower ol { grid-row: 2; grid-column: 1 / -1; display: grid; grid-template-columns: repeat({{ columns }}, minmax(0, 1fr)); gap: 8px 40px; margin-top: 8px; }
  body.lower li { font-size: 44px; }
  body.lower .name { white-space: nowrap; overflow: hidden; text-overflow: ellipsis; }
  body.lower .track { height: 22px; margin-top: 4px; }
  body.lower .total { grid-row: 1; grid-column: 2; margin: 0; font-size: 44px; }
</style></head>
<body class="{{ layout }}">
<main class="panel" id="panel">
<h1 id="title">{{ bars.title[lang] }}</h1>
<ol id="rows">{% for r in bars.rows %}
  <li class="row"><div class="label"><span class="name">{% if layout != "lower" %}{{ loop.index }}. {% endif %}{{ r[lang] }}</span>
    <span class="count">{{ r.count }} ({{ r.percent }}%)</span></div>
  <div class="track" aria-hidden="true"><div class="bar" style="width: {{ r.percent }}%"></div></div></li>{% endfor %}
</ol>
<p class="total" id="total">{{ bars.total[lang] }}{% if bars.note %} · {{ bars.note[lang] }}{% endif %}</p>
</main>
{% if stream %}<script>
  const lang = {{ lang|tojson }};
  new EventSource({{ stream|tojson }}).onmessage = (message) => {
    const bars = JSON.parse(message.data).bars, rows = document.querySelectorAll("#rows .row");
    if (!bars || bars.rows.length !== rows.length) { location.reload(); return; }
    bars.rows.forEach((r, i) => {
      rows[i].querySelector(".count").textContent = `${r.count} (${r.percent}%)`;
      rows[i].querySelector(".bar").style.width = `${r.percent}%`;
    });
    document.getElementById("title").textContent = bars.title[lang];
    document.getElementById("total").textContent = bars.total[lang] + (bars.note ? ` · ${bars.note[lang]}` : "");
  };
</script>{% endif %}
</body></html>""")
