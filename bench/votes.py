"""Vote storm: 5,000 people vote through the signed webhook at once (the bot under gunicorn), one in ten of their
votes delivered twice as Facebook does.

Figures: accepted (acknowledged) votes per second and p99 acknowledgement latency; whether the final tally
equals the votes sent exactly; how long after the last acknowledgement the tally is complete, and how long
after that the results page's event stream shows it. Targets: >= 2,000 votes/s on 2 cores, tally exact,
results page updated within 1 s of the last vote.
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import requests

from harness import ROOT, bot_env, closed_loop, fake_graph, free_port, gunicorn, report, wait_http
from bot.messenger import simulator
from bot.messenger.webhook import sign

OPTIONS = 4


def flask(env: dict, *args: str) -> str:
    run = subprocess.run([sys.executable, "-m", "flask", "--app", str(ROOT / "app.py"), *args], cwd=ROOT,
                         env={**__import__("os").environ, **env}, capture_output=True, text=True, check=True)
    return run.stdout.strip()


def ballots(poll_id: int, voters: int, redeliver_every: int) -> tuple[list[tuple[bytes, str]], list[int]]:
    bodies, expected = [], [0] * OPTIONS
    for i in range(voters):
        option = i % OPTIONS + 1
        expected[option - 1] += 1
        body = simulator.encode(simulator.page_body([simulator.quick_reply(f"v{i:06d}", str(option),
                                                                            f"VOTE:{poll_id}:{option}", mid=f"m_vote_{i}")]))
        bodies.append((body, sign(body, "bench-app-secret")))
        if redeliver_every and i % redeliver_every == 0:
            bodies.append(bodies[-1])  # the same delivery again
    return bodies, expected


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--voters", type=int, default=5000)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--redeliver-every", type=int, default=10)
    args = parser.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="bench-votes-"))
    fake, graph_url = fake_graph()
    port = free_port()
    env = bot_env(graph_url, tmp / "bot.sqlite3", SEND_RATE="10000")
    bot = gunicorn("app:create_app()", port, env, log=tmp / "bot.log")
    url = f"http://127.0.0.1:{port}"
    public = f"http://127.0.0.1:{env['PUBLIC_PORT']}"  # the results pages' server (gunicorn.conf.py starts it)
    try:
        poll_id = int(flask(env, "poll", "create", "--question", "ทีมไหนควรได้ทุนก่อน | Which team first?",
                            *sum((["--option", f"ทีม {n} | Team {n}"] for n in range(1, OPTIONS + 1)), [])))
        flask(env, "poll", "open", str(poll_id))
        bodies, expected = ballots(poll_id, args.voters, args.redeliver_every)
        wait_http(f"{public}/live/{poll_id}.json")

        seen: list[tuple[float, int]] = []
        stop = threading.Event()

        def listen() -> None:
            with requests.get(f"{public}/live/{poll_id}/events", stream=True, timeout=600) as stream:
                for line in stream.iter_lines(decode_unicode=True):
                    if line and line.startswith("data:"):
                        seen.append((time.perf_counter(), json.loads(line[5:])["total"]))
                    if stop.is_set():
                        return

        listener = threading.Thread(target=listen, daemon=True)
        listener.start()
        time.sleep(0.5)

        started = time.perf_counter()
        acks = closed_loop(url, bodies, args.concurrency, duration=600)
        last_ack = time.perf_counter()
        complete_at = None
        while time.perf_counter() - last_ack < 120:
            snap = requests.get(f"{public}/live/{poll_id}.json", timeout=10).json()
            if snap["total"] >= args.voters:
                complete_at = time.perf_counter()
                break
            time.sleep(0.02)
        time.sleep(1.5)
        stop.set()
        snap = requests.get(f"{public}/live/{poll_id}.json", timeout=10).json()
        counts = [o["votes"] for o in snap["options"]]
        shown = next((t for t, total in seen if total >= args.voters), None)
    finally:
        bot.stop()
        fake.stop()

    figures = {
        "voters": args.voters, "deliveries": len(bodies), "acks": acks,
        "accepted_votes_per_second": acks["per_second"], "p99_ack_ms": acks["p99_ms"],
        "tally": counts, "expected": expected, "exact": counts == expected,
        "complete_after_last_ack_s": (complete_at - last_ack) if complete_at else None,
        "stream_lag_s": (shown - complete_at) if shown and complete_at else None,
        "storm_seconds": last_ack - started,
    }
    print(f"{args.voters} voters, {len(bodies)} deliveries ({len(bodies) - args.voters} redelivered), "
          f"{args.concurrency} clients, bot under gunicorn")
    print(f"  accepted {acks['per_second']:.0f} deliveries/s, p50 {acks['p50_ms']:.1f} ms, p99 {acks['p99_ms']:.1f} ms, "
          f"errors {acks['errors']} (target >= 2,000/s)")
    print(f"  tally {counts} vs sent {expected}: {'EXACT' if counts == expected else 'WRONG'}")
    if complete_at:
        print(f"  tally complete {figures['complete_after_last_ack_s']:.2f} s after the last acknowledgement")
    if figures["stream_lag_s"] is not None:
        print(f"  results stream showed it {figures['stream_lag_s']:.2f} s after that (target: within 1 s)")
    report("votes", figures)


if __name__ == "__main__":
    main()
