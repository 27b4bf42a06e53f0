"""Broadcast fan-out: 10,000 recipients against the fake Graph API answering every send in 150 ms, as Facebook does.

Run 1, SEND_RATE=250: the achieved send rate as a share of SEND_RATE (target >= 95 %), measured from the fake
Graph API's receive times between the 5th and the 95th percentile message (the start-up and the tail are not
the steady rate). Also: seconds from `flask broadcast` to the first message, the whole broadcast's wall time,
and whether every recipient got exactly one message.
Run 2, no limit (SEND_RATE=10000, the highest setting): the raw sends per second the bot reaches on this machine.

The bot runs as `python app.py` in its own process; the recipients are written into its database beforehand
(people who wrote to the Page in the last 24 hours), so the benchmark measures the broadcast, not the greetings.
"""
from __future__ import annotations

import argparse
import os
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import requests

from harness import ROOT, Process, bot_env, fake_graph, free_port, percentile, report


def seed(db: Path, env: dict, recipients: int) -> None:
    """Create the database with the bot's own schema, then add `recipients` people inside their window."""
    subprocess.run([sys.executable, "-m", "flask", "--app", str(ROOT / "app.py"), "broadcasts"], cwd=ROOT,
                   env={**os.environ, **env}, capture_output=True, check=True)
    now = time.time()
    conn = sqlite3.connect(db)
    with conn:
        conn.executemany(
            "INSERT INTO users (psid, first_seen, last_seen, last_interaction_at, language) VALUES (?, ?, ?, ?, ?)",
            [(f"r{i:06d}", now - 600, now - 600, now - 600, "th" if i % 4 else "en") for i in range(recipients)])
    conn.close()


def run(recipients: int, rate: int, latency: float, fake_threads: int) -> dict:
    tmp = Path(tempfile.mkdtemp(prefix="bench-broadcast-"))
    fake, graph_url = fake_graph(latency=latency, threads=fake_threads)
    port = free_port()
    db = tmp / "bot.sqlite3"
    env = bot_env(graph_url, db, SEND_RATE=str(rate), PORT=str(port))
    try:
        seed(db, env, recipients)
        bot = Process([sys.executable, str(ROOT / "app.py")], env=env, ready_url=f"http://127.0.0.1:{port}/healthz",
                      log=tmp / "bot.log")
        try:
            started = time.time()
            made = subprocess.run([sys.executable, "-m", "flask", "--app", str(ROOT / "app.py"), "broadcast",
                                   "--text", "📣 ไลฟ์เริ่มแล้ว! ร่วมโหวตได้เลย", "--text-en", "📣 We are live! Vote now"],
                                  cwd=ROOT, env={**os.environ, **env}, capture_output=True, text=True, check=True)
            broadcast_id = made.stdout.strip()
            deadline = started + 300
            while time.time() < deadline:
                if requests.get(f"{graph_url}/_fake/stats", timeout=10).json()["messages"] >= recipients:
                    break
                time.sleep(0.2)
            wall = time.time() - started
            time.sleep(1.0)  # anything sent twice arrives by now
            messages = requests.get(f"{graph_url}/_fake/messages", timeout=60).json()["messages"]
        finally:
            bot.stop()
    finally:
        fake.stop()
    times = sorted(m["received_at"] for m in messages)
    per_person = Counter(m["recipient"] for m in messages)
    lo, hi = percentile(times, 5), percentile(times, 95)
    counted = sum(1 for t in times if lo <= t <= hi)
    steady = (counted - 1) / (hi - lo) if hi > lo else float("nan")
    status = subprocess.run([sys.executable, "-m", "flask", "--app", str(ROOT / "app.py"), "broadcast-status",
                             broadcast_id], cwd=ROOT, env={**os.environ, **env}, capture_output=True, text=True).stdout
    return {
        "recipients": recipients, "send_rate": rate, "latency_s": latency,
        "messages": len(messages), "people_reached": len(per_person),
        "sent_twice": sum(1 for n in per_person.values() if n > 1),
        "first_message_after_s": round(times[0] - started, 2) if times else None,
        "wall_s": round(wall, 2),
        "steady_rate_per_s": round(steady, 1),
        "share_of_send_rate": round(steady / rate, 3),
        "status": status.strip(),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--recipients", type=int, default=10_000)
    parser.add_argument("--latency", type=float, default=0.15)
    args = parser.parse_args()

    limited = run(args.recipients, 250, args.latency, fake_threads=128)
    print(f"broadcast to {limited['recipients']:,} at SEND_RATE=250, Facebook answering in {args.latency * 1000:.0f} ms:")
    print(f"  steady rate {limited['steady_rate_per_s']}/s = {limited['share_of_send_rate']:.1%} of SEND_RATE "
          f"(target >= 95%)")
    print(f"  first message {limited['first_message_after_s']} s after `flask broadcast`; all sent in "
          f"{limited['wall_s']} s")
    print(f"  reached {limited['people_reached']:,} people, {limited['sent_twice']} twice; {limited['status']}")
    unlimited = run(args.recipients, 10_000, args.latency, fake_threads=400)
    print(f"no limit (SEND_RATE=10000, the most allowed; 256 requests in flight): {unlimited['steady_rate_per_s']}/s raw sends, "
          f"all sent in {unlimited['wall_s']} s, {unlimited['sent_twice']} twice")
    report("broadcast", {"limited": limited, "unlimited": unlimited})


if __name__ == "__main__":
    main()
