"""Poll results for the live stream and its audience: a public screen (bot/public_screens.py).

Serves, through the public-screens server: `GET /live/<id>` (large bars with counts and percentages; `?lang=en`;
`?overlay=full` and `?overlay=lower` for OBS browser sources, drawn by bot/screens/overlay.py), `GET /live/<id>.json`, `GET /live/<id>.csv`
(UTF-8 with a BOM) and `GET /live/<id>/events`, a Server-Sent Events stream that brings every change to the page
within a second (no reload). Rendered once per change, cached by ETag, pushed from an event loop:
made for the whole audience of the stream, not only the broadcast's screens. A draft poll is 404 to the public;
moderators preview it in the console. bot/domain/polls.py says when a poll's results change.
"""
from __future__ import annotations

from ..domain import polls
from . import overlay


def snapshot(conn, poll_id: int) -> dict | None:
    poll = polls.get(conn, poll_id)
    if poll is None:
        return None
    counts = polls.tally(conn, poll)
    total = sum(counts)
    return {"poll": poll.id, "state": poll.state, "question": poll.question, "total": total,
            "options": [{"th": o["th"], "en": o["en"], "votes": n, "percent": round(n * 100 / total, 1) if total else 0.0}
                        for o, n in zip(poll.options, counts)]}


LABELS = {"th": {"total": "ผู้โหวตทั้งหมด", "closed": "ปิดโหวตแล้ว"}, "en": {"total": "Votes", "closed": "closed"}}


def bars(snap: dict) -> dict:
    """The poll as bars (bot/screens/overlay.py): its options, their votes and shares, the total and its state."""
    return {"title": snap["question"],
            "rows": [{"th": o["th"], "en": o["en"], "count": o["votes"], "percent": o["percent"]} for o in snap["options"]],
            "total": {lang: f"{words['total']} {snap['total']}" for lang, words in LABELS.items()},
            "note": {lang: words["closed"] for lang, words in LABELS.items()} if snap["state"] == "closed" else None}


def csv_rows(snap: dict) -> list[list]:
    return [["option", "th", "en", "votes", "percent"],
            *([i, o["th"], o["en"], o["votes"], o["percent"]] for i, o in enumerate(snap["options"], 1))]


RESULTS = overlay.bars_screen(polls.RESULTS_SCREEN, "/live/<int:key>", snapshot, bars, csv=csv_rows,
                              is_public=lambda snap: snap["state"] != "draft")
