"""Questions for the speakers under a crowd: 2,000 questions from live comments ("ถาม: ...") and 50,000 upvotes
(10,000 people, five questions each) through the signed webhook at once (the bot under gunicorn, the production
recipe), one delivery in ten sent twice as Facebook does.

Figures: acknowledged deliveries per second and p99 acknowledgement latency of each burst; whether every
question was recorded once with one private reply each, and whether every question's upvotes equal the upvotes
sent, exactly; how long after the last acknowledgement the counts are complete; and the time from a moderator's
approval (its transaction committed) to the questions screen's live stream showing the question (median of
APPROVALS). Targets: counts exact; approval on screen within 1 s.
"""
from __future__ import annotations

import argparse
import json
import sqlite3
import sys
import tempfile
import threading
import time
from pathlib import Path

import requests

from harness import ROOT, bot_env, closed_loop, fake_graph, fake_recipients, free_port, gunicorn, median, report, wait_http
from bot.messenger import simulator
from bot.messenger.webhook import sign
from votes import flask

sys.path.insert(0, str(ROOT))
from bot.domain import questions  # noqa: E402

SESSION, VIDEO, APPROVALS = "final-pitch", "424242", 5


def signed(body: dict) -> tuple[bytes, str]:
    data = simulator.encode(body)
    return data, sign(data, "bench-app-secret")


def with_redeliveries(bodies: list[tuple[bytes, str]], every: int) -> list[tuple[bytes, str]]:
    out = []
    for i, body in enumerate(bodies):
        out.append(body)
        if every and i % every == 0:
            out.append(body)
    return out


def comment_bodies(count: int) -> list[tuple[bytes, str]]:
    return [signed(simulator.page_body(changes=[{"field": "feed", "value": {
        "item": "comment", "verb": "add", "comment_id": f"cq{i}", "post_id": f"100000000000001_{VIDEO}",
        "message": f"ถาม: คำถามที่ {i} รัฐจะสนับสนุนทีม {i % 97} ต่ออย่างไรหลังจบงาน", "from": {"id": f"c{i:06d}"},
        "created_time": 1595656800}}])) for i in range(count)]


def upvote_bodies(ids: list[int], upvotes: int, per_person: int) -> tuple[list[tuple[bytes, str]], dict[int, int]]:
    bodies, expected = [], dict.fromkeys(ids, 0)
    stride = len(ids) // per_person
    for i in range(upvotes):
        person, k = divmod(i, per_person)
        question = ids[(person + k * stride) % len(ids)]  # a person's five questions are five different ones
        expected[question] += 1
        bodies.append(signed(simulator.page_body([simulator.postback(f"u{person:06d}", f"QA_UP:{question}",
                                                                     mid=f"m_up_{i}")])))
    return bodies, expected


def counts(db: Path) -> dict[int, tuple[str, int]]:
    conn = sqlite3.connect(db, timeout=30)
    conn.row_factory = sqlite3.Row
    try:
        return {q.id: (q.status, q.upvotes) for q in questions.every(conn)}
    finally:
        conn.close()


def approve_all(db: Path) -> None:
    """What a moderator's "approve" does, for every question at once (the domain's own function)."""
    conn = sqlite3.connect(db, timeout=30, isolation_level=None)
    conn.row_factory = sqlite3.Row
    conn.execute("BEGIN IMMEDIATE")
    for q in questions.queue(conn, SESSION):
        questions.approve(conn, q.id)
    conn.execute("COMMIT")
    conn.close()


def until(condition, timeout: float = 300.0) -> float | None:
    deadline = time.perf_counter() + timeout
    while time.perf_counter() < deadline:
        if condition():
            return time.perf_counter()
        time.sleep(0.05)
    return None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--questions", type=int, default=2000)
    parser.add_argument("--upvotes", type=int, default=50_000)
    parser.add_argument("--per-person", type=int, default=5)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--redeliver-every", type=int, default=10)
    args = parser.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="bench-questions-"))
    db = tmp / "bot.sqlite3"
    fake, graph_url = fake_graph()
    port = free_port()
    env = bot_env(graph_url, db, SEND_RATE="10000")
    bot = gunicorn("app:create_app()", port, env, log=tmp / "bot.log")
    url, public = f"http://127.0.0.1:{port}", f"http://127.0.0.1:{env['PUBLIC_PORT']}"
    try:
        flask(env, "qa", "open", SESSION, "--video-id", VIDEO)
        wait_http(f"{public}/live/qa/{SESSION}.json")
        asked = with_redeliveries(comment_bodies(args.questions), args.redeliver_every)
        q_acks = closed_loop(url, asked, args.concurrency, duration=600)
        q_last = time.perf_counter()
        q_done = until(lambda: len(counts(db)) >= args.questions)
        recorded = counts(db)
        until(lambda: sum(1 for r in fake_recipients(graph_url) if r.startswith("comment:")) >= args.questions, 120)
        private_replies = fake_recipients(graph_url)
        replies = {r: n for r, n in private_replies.items() if r.startswith("comment:")}

        approve_all(db)
        ids = sorted(recorded)
        bodies, expected = upvote_bodies(ids, args.upvotes, args.per_person)
        bodies = with_redeliveries(bodies, args.redeliver_every)
        u_acks = closed_loop(url, bodies, args.concurrency, duration=900)
        u_last = time.perf_counter()
        u_done = until(lambda: sum(n for _, n in counts(db).values()) >= args.upvotes, 600)
        final = counts(db)

        # Approval to screen: a new pending question, approved, until the live stream shows it.
        lags = []
        seen: dict[int, float] = {}
        stop = threading.Event()

        def listen() -> None:
            with requests.get(f"{public}/live/qa/{SESSION}/events", stream=True, timeout=600) as stream:
                for line in stream.iter_lines(decode_unicode=True):
                    if line and line.startswith("data:"):
                        snap = json.loads(line[5:])
                        if snap["pinned"]:
                            seen.setdefault(snap["pinned"]["id"], time.perf_counter())
                    if stop.is_set():
                        return

        threading.Thread(target=listen, daemon=True).start()
        time.sleep(1.0)
        for n in range(APPROVALS):
            conn = sqlite3.connect(db, timeout=30, isolation_level=None)
            conn.row_factory = sqlite3.Row
            conn.execute("BEGIN IMMEDIATE")
            session = questions.get_session(conn, SESSION)
            question = questions.ask(conn, session, f"คำถามใหม่ที่ {n} ผู้ดูแลอนุมัติแล้วขึ้นจอ", f"late{n}",
                                     shown_name=None, language="th")
            questions.approve(conn, question.id)
            questions.pin(conn, question.id)  # shown large: the first thing the stream's reader sees
            conn.execute("COMMIT")
            committed = time.perf_counter()
            conn.close()
            shown = until(lambda: question.id in seen, 10)
            lags.append((seen[question.id] - committed) if shown else None)
            time.sleep(0.7)
        stop.set()
    finally:
        bot.stop()
        fake.stop()

    exact_questions = len(recorded) == args.questions and all(n == 1 for n in replies.values()) and len(replies) == args.questions
    got = {qid: final[qid][1] for qid in expected}
    exact_upvotes = got == expected
    measured = [lag for lag in lags if lag is not None]
    figures = {
        "questions": args.questions, "question_deliveries": len(asked), "question_acks": q_acks,
        "questions_recorded": len(recorded), "private_replies": len(replies), "questions_exact": exact_questions,
        "questions_complete_after_last_ack_s": (q_done - q_last) if q_done else None,
        "upvotes": args.upvotes, "upvote_deliveries": len(bodies), "upvote_acks": u_acks,
        "upvotes_counted": sum(got.values()), "upvotes_exact": exact_upvotes,
        "upvotes_complete_after_last_ack_s": (u_done - u_last) if u_done else None,
        "approval_to_screen_s": lags, "approval_to_screen_median_s": median(measured) if measured else None,
    }
    print(f"{args.questions} questions from live comments ({len(asked)} deliveries), {args.concurrency} clients, gunicorn")
    print(f"  accepted {q_acks['per_second']:.0f} deliveries/s, p50 {q_acks['p50_ms']:.1f} ms, p99 {q_acks['p99_ms']:.1f} ms,"
          f" errors {q_acks['errors']}")
    print(f"  recorded {len(recorded)}, private replies {len(replies)} (one each: {exact_questions}), complete "
          f"{figures['questions_complete_after_last_ack_s']} s after the last acknowledgement")
    print(f"{args.upvotes} upvotes by {args.upvotes // args.per_person} people ({len(bodies)} deliveries)")
    print(f"  accepted {u_acks['per_second']:.0f} deliveries/s, p50 {u_acks['p50_ms']:.1f} ms, p99 {u_acks['p99_ms']:.1f} ms,"
          f" errors {u_acks['errors']}")
    print(f"  counted {sum(got.values())} vs sent {args.upvotes}: {'EXACT' if exact_upvotes else 'WRONG'} per question; "
          f"complete {figures['upvotes_complete_after_last_ack_s']} s after the last acknowledgement")
    print(f"approval to screen: median {figures['approval_to_screen_median_s']} s of {lags} (target: within 1 s)")
    report("questions", figures)


if __name__ == "__main__":
    main()
