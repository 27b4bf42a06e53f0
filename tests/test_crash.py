"""Crashes: a kill -9 between acknowledging and sending loses nothing and sends nothing twice."""
from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
import time
from collections import Counter

import requests

from bot.messenger import simulator
from conftest import ROOT, SECRET


def db_counts(path) -> dict:
    conn = sqlite3.connect(path, timeout=10)
    staging = sqlite3.connect(path.with_name(f"{path.stem}.ingest{path.suffix}"), timeout=10)
    try:
        return {
            "pending": conn.execute("SELECT count(*) FROM inbox WHERE status = 'pending'").fetchone()[0]
            + staging.execute("SELECT count(*) FROM incoming").fetchone()[0],
            "tried": conn.execute("SELECT count(*) FROM outbox WHERE attempts > 0").fetchone()[0],
            "outbox_per_person": dict(conn.execute("SELECT recipient_key, count(*) FROM outbox GROUP BY recipient_key").fetchall()),
        }
    finally:
        conn.close()
        staging.close()


def replies_per_person(fake) -> Counter:
    return Counter(m["recipient"] for m in fake.state.messages)


def wait_until(condition, timeout=20.0, step=0.05):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if condition():
            return True
        time.sleep(step)
    return False


def test_kill_9_after_ack_before_send_then_restart_sends_every_reply_exactly_once(bot_process, fake_graph, tmp_path):
    people = [f"30{i:02d}" for i in range(30)]
    graph = simulator.FakeGraph(fake_graph.url)
    graph.fault(status=503)  # Facebook is down: replies are acknowledged, handled, queued, not delivered
    first = bot_process().start()
    hook = simulator.Webhook(first.url, SECRET)
    for i in range(0, 30, 3):
        hook.send(*[simulator.text(p, "สวัสดี") for p in people[i:i + 3]])
    db = tmp_path / "bot.sqlite3"
    assert wait_until(lambda: db_counts(db)["pending"] == 0 and db_counts(db)["tried"] == 30)
    first.kill9()
    assert replies_per_person(fake_graph) == Counter()

    graph.clear_faults()  # Facebook is back
    bot_process(PORT=str(first.port)).start()
    assert wait_until(lambda: sum(replies_per_person(fake_graph).values()) >= 30)
    time.sleep(1.0)  # anything sent twice would arrive by now
    assert replies_per_person(fake_graph) == Counter({p: 1 for p in people})


def test_kill_9_in_the_middle_of_a_burst_loses_nothing(bot_process, fake_graph, tmp_path):
    people = [f"31{i:03d}" for i in range(150)]
    # 4 requests in flight at 0.15 s each: about 27 a second, so the broadcast is still going when the kill comes
    # even on a loaded machine whose polling of the fake lags by seconds.
    simulator.FakeGraph(fake_graph.url).configure(latency=0.15)  # Facebook answers in 20 ms
    first = bot_process(SEND_CONCURRENCY="4").start()
    hook = simulator.Webhook(first.url, SECRET)
    for i in range(0, 150, 10):
        hook.send(*[simulator.text(p, "hi") for p in people[i:i + 10]])
    first.kill9()  # right after the last acknowledgement: some handled, some sent, some neither
    sent_before_restart = sum(replies_per_person(fake_graph).values())
    assert sent_before_restart < len(people)  # the kill did interrupt the work
    bot_process(SEND_CONCURRENCY="4").start()
    assert wait_until(lambda: set(replies_per_person(fake_graph)) >= set(people), timeout=30)
    time.sleep(1.0)
    counts = replies_per_person(fake_graph)
    # Every event was handled exactly once: one queued reply each.
    assert set(db_counts(tmp_path / "bot.sqlite3")["outbox_per_person"].values()) == {1}
    # A message whose HTTP request was in flight at the kill may go twice (Facebook offers no way to ask):
    # at most the number of requests in flight.
    assert sum(counts.values()) - len(people) <= 4


def test_a_second_process_takes_over_when_the_one_running_the_workers_is_killed(bot_process, fake_graph):
    leader = bot_process().start()
    standby = bot_process().start()
    assert requests.get(f"{leader.url}/healthz").json()["this_process_leads"] is True
    assert requests.get(f"{standby.url}/healthz").json()["this_process_leads"] is False
    leader.kill9()
    assert wait_until(lambda: requests.get(f"{standby.url}/healthz").json()["this_process_leads"], timeout=10)
    simulator.Webhook(standby.url, SECRET).send(simulator.text("3201", "สวัสดี"))
    assert wait_until(lambda: replies_per_person(fake_graph)["3201"] == 1, timeout=10)


def test_kill_9_in_the_middle_of_a_broadcast_resumes_it_without_repeating_or_losing_anyone(bot_process, fake_graph,
                                                                                           tmp_path):
    people = [f"33{i:03d}" for i in range(200)]
    first = bot_process(SEND_CONCURRENCY="4", SEND_RATE="100").start()
    hook = simulator.Webhook(first.url, SECRET)
    for i in range(0, 200, 20):
        hook.send(*[simulator.text(p, "สวัสดี") for p in people[i:i + 20]])
    assert wait_until(lambda: set(replies_per_person(fake_graph)) >= set(people), timeout=30)
    greetings = sum(replies_per_person(fake_graph).values())
    # 4 requests in flight at 0.15 s each: about 27 a second, so the broadcast is still going when the kill comes
    # even on a loaded machine whose polling of the fake lags by seconds.
    simulator.FakeGraph(fake_graph.url).configure(latency=0.15)
    made = subprocess.run([sys.executable, "-m", "flask", "--app", "app", "broadcast", "--text", "ประกาศสำคัญ"],
                          env=first.env, cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert made.returncode == 0, made.stderr

    def announcements() -> int:
        return sum(replies_per_person(fake_graph).values()) - greetings

    assert wait_until(lambda: announcements() >= 40, timeout=20)
    first.kill9()  # mid-broadcast: 200 people at ~27/s take 7 seconds
    assert announcements() < len(people)
    bot_process(SEND_CONCURRENCY="4", SEND_RATE="100").start()
    assert wait_until(lambda: announcements() >= len(people), timeout=60)
    time.sleep(1.0)
    received = Counter(m["recipient"] for m in fake_graph.state.messages
                       if "ประกาศสำคัญ" in json.dumps(m["body"], ensure_ascii=False))
    assert set(received) == set(people)  # nobody lost
    assert sum(received.values()) - len(people) <= 4  # at most the requests in flight at the kill went twice
    conn = sqlite3.connect(tmp_path / "bot.sqlite3", timeout=10)
    try:
        assert wait_until(lambda: conn.execute("SELECT state FROM broadcasts").fetchone()[0] == "done", timeout=10)
        per_person = conn.execute("SELECT fanned_out, (SELECT count(DISTINCT psid) FROM outbox WHERE status = 'sent' "
                                  "AND batch LIKE 'broadcast:%') FROM broadcasts").fetchone()
    finally:
        conn.close()
    assert per_person == (200, 200)  # one recorded result per person
