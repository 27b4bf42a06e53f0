"""The opinion map of each round as last computed (table `opinion_maps`), and the report read from it.

The analysis (bot/domain/opinion_map.py: PCA, k-means, Pol.is's statistics) needs numpy and scikit-learn and a
few tenths of a second; it runs only where that costs no citizen anything: the lease holder's job queue
(schedules/opinion_maps.py, every minute while a round takes votes, and within seconds of a moderator asking)
and the operators' CLI. Web workers, the console and the public screens only read the stored result.

Groups keep their names from one computation to the next (Pol.is keeps its group ids stable too, by starting
k-means from the last centres): a new group takes the letter of the old group it shares the most members with
(an optimal one-to-one assignment, scipy's linear_sum_assignment), so "group A" on the console, the public screen
and in a participant's "where do I stand?" stays the same people as votes come in. Matching by members, not by
centres, is immune to PCA's arbitrary signs, which can flip the whole map between two runs.
"""
from __future__ import annotations

import json
import sqlite3
import string
import time

from ..public_screens import changed
from . import opinions

MIN_VOTES = 7  # a participant is placed on the map from this many votes (Pol.is's threshold)
EVERY = 60.0  # seconds: a round that took votes is recomputed at most this often, unless someone asks
LETTERS = string.ascii_uppercase


def schema(db) -> None:
    db.execute("""
        CREATE TABLE IF NOT EXISTS opinion_maps (
            round_id INTEGER PRIMARY KEY,
            result TEXT,                    -- JSON: OpinionMap.to_dict() and each group's letter ("labels")
            votes INTEGER NOT NULL DEFAULT 0,  -- votes the result was computed from
            computed_at REAL,               -- when (NULL: never yet)
            seconds REAL,                   -- how long the analysis took
            requested_at REAL               -- a moderator asked for a recompute now
        )""")


def declare(privacy) -> None:
    privacy.personal("opinion_maps", erase=erase_placement,
                     why="each placed participant's one-way key of the round; a new computation replaces it")


def stored(conn: sqlite3.Connection, round_id: int) -> dict | None:
    """The last result ({"status", "groups", "participants", ..., "labels", "computed_at", "seconds", "votes"}),
    or None when the round was never computed."""
    row = conn.execute("SELECT * FROM opinion_maps WHERE round_id = ? AND result IS NOT NULL", (round_id,)).fetchone()
    if row is None:
        return None
    return {**json.loads(row["result"]), "computed_at": row["computed_at"], "seconds": row["seconds"],
            "votes": row["votes"]}


def request(conn: sqlite3.Connection, round_id: int) -> None:
    """Ask the lease holder to recompute the round now (the console's button: web workers never run it)."""
    conn.execute("INSERT INTO opinion_maps (round_id, requested_at) VALUES (?, ?) ON CONFLICT(round_id) DO UPDATE "
                 "SET requested_at = excluded.requested_at", (round_id, time.time()))


def due(conn: sqlite3.Connection, now: float, every: float = EVERY) -> list[int]:
    """Rounds to recompute: asked for since the last computation, or open with votes newer than the last
    computation and that computation at least `every` seconds old."""
    out = []
    for r in opinions.rounds(conn):
        row = conn.execute("SELECT computed_at, requested_at FROM opinion_maps WHERE round_id = ?", (r.id,)).fetchone()
        computed, requested = (row["computed_at"], row["requested_at"]) if row else (None, None)
        if requested is not None and (computed is None or requested >= computed):
            out.append(r.id)
            continue
        last = opinions.last_vote_at(conn, r.id)
        if r.state == "open" and last is not None and (computed is None or (last > computed and now - computed >= every)):
            out.append(r.id)
    return out


def compute(conn: sqlite3.Connection, round_id: int) -> tuple[dict, int, float]:
    """Run the analysis on the round's votes as they are now: (result, votes, seconds). Reads only; slow (imports
    scikit-learn on first use): never in a web worker."""
    from .opinion_map import analyse

    started = time.perf_counter()
    votes = opinions.round_votes(conn, round_id)
    statement_ids = [s.id for s in opinions.statements(conn, round_id)]
    live = [s.id for s in opinions.statements(conn, round_id, "approved")]
    result = analyse(votes, statement_ids, in_round=live, min_votes=MIN_VOTES).to_dict()
    result["labels"] = stable_labels(result, stored(conn, round_id))
    return result, len(votes), time.perf_counter() - started


def save(conn: sqlite3.Connection, round_id: int, result: dict, votes: int, seconds: float) -> None:
    conn.execute("INSERT INTO opinion_maps (round_id, result, votes, computed_at, seconds) VALUES (?, ?, ?, ?, ?) "
                 "ON CONFLICT(round_id) DO UPDATE SET result = excluded.result, votes = excluded.votes, "
                 "computed_at = excluded.computed_at, seconds = excluded.seconds",
                 (round_id, json.dumps(result, ensure_ascii=False), votes, time.time(), seconds))
    changed(conn, opinions.SCREEN, round_id)


def recompute(store, round_id: int) -> dict:
    """Compute outside the write lock, store in a short transaction; the stored result."""
    result, votes, seconds = compute(store.conn, round_id)
    with store.write() as conn:
        save(conn, round_id, result, votes, seconds)
    return stored(store.conn, round_id)


def stable_labels(result: dict, previous: dict | None) -> list[str]:
    """A letter for each group of `result` (by index): the letter of the previous group sharing the most members
    (one-to-one), else the first letter no group has."""
    groups = result["groups"]
    if not groups:
        return []
    old_labels = (previous or {}).get("labels") or []
    old_of = {p["key"]: old_labels[p["group"]] for p in (previous or {}).get("participants", ())
              if p["group"] < len(old_labels)}
    labels: list[str | None] = [None] * len(groups)
    if old_of:
        from scipy.optimize import linear_sum_assignment

        old = sorted(set(old_of.values()))
        overlap = [[0] * len(old) for _ in groups]
        for p in result["participants"]:
            if p["key"] in old_of:
                overlap[p["group"]][old.index(old_of[p["key"]])] += 1
        rows, cols = linear_sum_assignment(overlap, maximize=True)
        for g, o in zip(rows, cols):
            if overlap[g][o] > 0:
                labels[g] = old[o]
    free = iter(letter for letter in LETTERS if letter not in labels)
    return [label or next(free) for label in labels]


def erase_placement(conn: sqlite3.Connection, person) -> int:
    """The person's dot leaves every stored map (their votes, under a new key, place them again at the next
    computation)."""
    changed_rows = 0
    for row in conn.execute("SELECT round_id, result FROM opinion_maps WHERE result IS NOT NULL").fetchall():
        key = person.key(opinions.voter_scope(row["round_id"]))
        if key not in row["result"]:
            continue
        result = json.loads(row["result"])
        result["participants"] = [p for p in result["participants"] if p["key"] != key]
        conn.execute("UPDATE opinion_maps SET result = ? WHERE round_id = ?",
                     (json.dumps(result, ensure_ascii=False), row["round_id"]))
        changed_rows += 1
    return changed_rows


# -- reading the result -------------------------------------------------------------------------------------------
def report(conn: sqlite3.Connection, round_id: int) -> dict | None:
    """The round's result in words, for people: {"round", "state", "title", "status", "reason", "voters",
    "counted", "computed_at", "groups": [{"label", "size", "center", "distinctive": [{"statement", "text",
    "direction", "percent"}]}], "consensus": [{"statement", "text", "direction", "percent"}], "divisive":
    [{"statement", "text", "groups": [{"label", "agree_percent"}]}], "points": [[x, y, label]]}; None for no round.
    Percent: of the group (or of everyone counted) who voted on it, how many voted that way."""
    found = opinions.get_round(conn, round_id)
    if found is None:
        return None
    texts = {s.id: s.text for s in opinions.statements(conn, round_id)}
    result = stored(conn, round_id) or {"status": "not_computed", "reason": None, "voters": 0, "counted": 0,
                                        "groups": [], "consensus": [], "divisive": [], "participants": [], "labels": []}
    labels = result.get("labels") or []

    def said(item: dict, count: int, seen: int) -> dict:
        return {"statement": item["statement_id"], "text": texts.get(item["statement_id"], {"th": "", "en": ""}),
                "direction": item["direction"], "percent": round(100 * count / seen) if seen else 0}

    return {
        "round": found.id, "state": found.state, "title": found.title, "topic": found.topic,
        "status": result["status"], "reason": result.get("reason"), "voters": result.get("voters", 0),
        "counted": result.get("counted", 0), "computed_at": result.get("computed_at"),
        "groups": [{"label": labels[g["id"]], "size": g["size"], "center": g["center"],
                    "distinctive": [said(d, d["count"], d["seen"]) for d in g["distinctive"]]}
                   for g in result["groups"]],
        "consensus": [said(c, *_overall(c)) for c in result["consensus"]],
        "divisive": [{"statement": d["statement_id"], "text": texts.get(d["statement_id"], {"th": "", "en": ""}),
                      "groups": [{"label": labels[v["group"]], "agree_percent": round(100 * v["agree_ratio"])}
                                 for v in d["groups"]]} for d in result["divisive"]],
        "points": [[p["x"], p["y"], labels[p["group"]]] for p in result["participants"]],
    }


def _overall(item: dict) -> tuple[int, int]:
    """(votes in the consensus' direction, votes seen) summed over the groups."""
    key = "agree" if item["direction"] == "agree" else "disagree"
    groups = item.get("groups", ())
    return sum(g[key] for g in groups), sum(g["seen"] for g in groups)


def placement(conn: sqlite3.Connection, round_id: int, key: str) -> str | None:
    """The letter of the group `key` (a voter's pseudonym in the round) is in, as last computed, or None."""
    result = stored(conn, round_id)
    if not result:
        return None
    labels = result.get("labels") or []
    return next((labels[p["group"]] for p in result["participants"] if p["key"] == key), None)


WORDS = {
    "th": {"title": "รอบความเห็น #{round}: {title} ({state})", "people": "{voters} คนร่วมตอบ, {counted} คนตอบครบ {min} ข้อขึ้นไป",
           "not_ready": "ยังจัดกลุ่มไม่ได้: {reason}", "group": "กลุ่ม {label}: {size} คน", "consensus": "ทุกกลุ่มเห็นตรงกัน:",
           "divisive": "ความเห็นที่แบ่งกลุ่ม:", "agree": "เห็นด้วย", "disagree": "ไม่เห็นด้วย", "none": "(ยังไม่มี)",
           "more": "  …และอีก {more} ข้อ (ดูทั้งหมดในคอนโซล)", "draft": "ร่าง", "open": "เปิดอยู่", "closed": "ปิดแล้ว"},
    "en": {"title": "Opinion round #{round}: {title} ({state})", "people": "{voters} {persons} took part, {counted} answered {min} or more",
           "not_ready": "No groups yet: {reason}", "group": "Group {label}: {size} people", "consensus": "Every group agrees:",
           "divisive": "What divides the groups:", "agree": "agree", "disagree": "disagree", "none": "(none yet)",
           "more": "  …and {more} more (all of them in the console)", "draft": "draft", "open": "open", "closed": "closed"},
}
# Why there are no groups yet (opinion_map.NotEnough), in words.
REASONS = {
    "th": {"not_computed": "ยังไม่ได้คำนวณ", "no_votes": "ยังไม่มีใครตอบ", "too_few_statements": "ข้อความยังน้อยเกินไป",
           "too_few_participants": f"ผู้ที่ตอบครบ {MIN_VOTES} ข้อขึ้นไปยังน้อยเกินไป",
           "no_differences": "ทุกคนตอบเหมือนกัน ยังไม่เห็นกลุ่มความเห็นที่ต่างกัน"},
    "en": {"not_computed": "not computed yet", "no_votes": "nobody has answered yet", "too_few_statements": "too few statements yet",
           "too_few_participants": f"too few people have answered {MIN_VOTES} or more",
           "no_differences": "everyone answered alike: no different opinion groups yet"},
}


def report_lines(report: dict, lang: str, most: int | None = None) -> list[str]:
    """The report in plain words, one line each (the CLI; the console shows the same). `most`: at most this many
    statements under each heading, then how many more (a chat message, read on a phone)."""
    w = WORDS[lang]
    lines = [w["title"].format(round=report["round"], title=report["title"][lang], state=w[report["state"]]),
             w["people"].format(voters=report["voters"], counted=report["counted"], min=MIN_VOTES,
                                persons="person" if report["voters"] == 1 else "people")]
    if report["status"] != "ready":
        reason = report["reason"] or report["status"]
        return lines + [w["not_ready"].format(reason=REASONS[lang].get(reason, reason.replace("_", " ")))]

    def listed(items: list[str]) -> list[str]:
        shown = items if most is None else items[:most]
        return [f"  • {item}" for item in shown] + ([w["more"].format(more=len(items) - len(shown))]
                                                     if len(items) > len(shown) else []) or [f"  {w['none']}"]

    for group in report["groups"]:
        lines.append(w["group"].format(label=group["label"], size=group["size"]))
        lines += listed([f"{d['text'][lang]} ({w[d['direction']]} {d['percent']}%)" for d in group["distinctive"]])
    lines.append(w["consensus"])
    lines += listed([f"{c['text'][lang]} ({w[c['direction']]} {c['percent']}%)" for c in report["consensus"]])
    lines.append(w["divisive"])
    lines += listed([f"{d['text'][lang]} (" + ", ".join(f"{g['label']} {g['agree_percent']}%" for g in d["groups"])
                     + f" {w['agree']})" for d in report["divisive"]])
    return lines
