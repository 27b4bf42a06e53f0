"""Webhook ingest benchmark: the bot under gunicorn beside a bare Flask endpoint on the same server settings.

Figures:
- acknowledged events per second (closed loop, `--concurrency` clients), p50/p99, and the ratio bot / bare;
- p50/p99 acknowledgement latency at a fixed `--rate` (open loop, default 500 events/s);
- end-to-end replies per second: `--e2e` people write at once; the clock stops when the fake Graph API has
  received every reply (SEND_RATE lifted, the fake answering at once).

Targets on a 2-core machine: ratio >= 0.7, p99 < 25 ms at 500 events/s, >= 1,000 replies/s end to end.
Rounds alternate between the two servers and the medians are reported, as these machines are noisy.
"""
from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import requests

from harness import (bot_env, closed_loop, fake_count, fake_graph, fake_last_id, fake_recipients, free_port, gunicorn,
                     median, open_loop, report, signed_bodies)


def wait_idle(bot_url: str, timeout: float = 120.0) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        health = requests.get(f"{bot_url}/healthz", timeout=10).json()
        if health.get("inbox_pending") == 0 and health.get("outbox_queued") == 0:
            return
        time.sleep(0.2)
    raise RuntimeError("bot did not drain its backlog")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--duration", type=float, default=6.0, help="seconds per closed-loop round")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--rate", type=float, default=500.0)
    parser.add_argument("--e2e", type=int, default=5000, help="people writing at once for the end-to-end figure")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=4)
    args = parser.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="bench-ingest-"))
    fake, graph_url = fake_graph()
    bare_port, bot_port = free_port(), free_port()
    bare = gunicorn("bare_app:app", bare_port, {}, args.workers, args.threads)
    env = bot_env(graph_url, tmp / "bot.sqlite3", SEND_RATE="10000")
    bot = gunicorn("app:create_app()", bot_port, env, args.workers, args.threads, log=tmp / "bot.log")
    bare_url, bot_url = f"http://127.0.0.1:{bare_port}", f"http://127.0.0.1:{bot_port}"
    figures: dict = {"settings": vars(args), "rounds": []}
    try:
        print(f"gunicorn: {args.workers} workers x {args.threads} threads; {args.concurrency} clients; "
              f"{args.rounds} rounds of {args.duration:.0f} s")
        per_round = int(args.duration * 6000)
        for n in range(args.rounds):
            bodies = signed_bodies(per_round, people=per_round, prefix=f"r{n}x")
            b = closed_loop(bare_url, bodies, args.concurrency, args.duration)
            o = closed_loop(bot_url, bodies, args.concurrency, args.duration)
            wait_idle(bot_url)
            figures["rounds"].append({"bare": b, "bot": o})
            print(f"  round {n + 1}: bare {b['per_second']:7.0f}/s p99 {b['p99_ms']:5.1f} ms | "
                  f"bot {o['per_second']:7.0f}/s p99 {o['p99_ms']:5.1f} ms | errors {b['errors']}/{o['errors']}")
        bare_rate = median([r["bare"]["per_second"] for r in figures["rounds"]])
        bot_rate = median([r["bot"]["per_second"] for r in figures["rounds"]])
        figures["closed_loop"] = {
            "bare_per_second": bare_rate, "bot_per_second": bot_rate, "ratio": bot_rate / bare_rate,
            "bare_p50_ms": median([r["bare"]["p50_ms"] for r in figures["rounds"]]),
            "bot_p50_ms": median([r["bot"]["p50_ms"] for r in figures["rounds"]]),
            "bare_p99_ms": median([r["bare"]["p99_ms"] for r in figures["rounds"]]),
            "bot_p99_ms": median([r["bot"]["p99_ms"] for r in figures["rounds"]]),
        }

        steady = signed_bodies(int(args.rate * args.duration), people=int(args.rate * args.duration), prefix="steady")
        bare_open = open_loop(bare_url, steady, args.rate, args.duration)
        bot_open = open_loop(bot_url, steady, args.rate, args.duration)
        wait_idle(bot_url)
        figures["open_loop"] = {"bare": bare_open, "bot": bot_open}

        figures["end_to_end"] = {}
        for scenario, prefix in (("new people", "e2e"), ("returning people", "e2e")):
            # First the people write for the first time (profiles fetched), then the same people again.
            burst = signed_bodies(args.e2e, people=args.e2e, prefix=prefix)
            if scenario == "returning people":
                burst = signed_bodies(args.e2e, people=args.e2e, prefix=prefix, words="hi again", mid_prefix="again")
            wait_idle(bot_url)
            after = fake_last_id(graph_url)
            started = time.perf_counter()
            closed_loop(bot_url, burst, args.concurrency, duration=600)
            acked = time.perf_counter() - started
            while fake_count(graph_url) - after < args.e2e and time.perf_counter() - started < 300:
                time.sleep(0.01)
            elapsed = time.perf_counter() - started
            time.sleep(1.0)  # anything sent twice would arrive by now
            counts = fake_recipients(graph_url, after)
            figures["end_to_end"][scenario] = {
                "people": args.e2e, "replies": sum(counts.values()), "people_answered": len(counts),
                "duplicates": sum(counts.values()) - len(counts), "seconds": elapsed,
                "replies_per_second": args.e2e / elapsed, "acked_in_seconds": acked}
    finally:
        bot.stop()
        bare.stop()
        fake.stop()

    c = figures["closed_loop"]
    print("\nacknowledged events per second (median of rounds)")
    print(f"  bare Flask   {c['bare_per_second']:8.0f}/s   p50 {c['bare_p50_ms']:5.1f} ms   p99 {c['bare_p99_ms']:5.1f} ms")
    print(f"  bot webhook  {c['bot_per_second']:8.0f}/s   p50 {c['bot_p50_ms']:5.1f} ms   p99 {c['bot_p99_ms']:5.1f} ms")
    print(f"  ratio        {c['ratio']:8.2f}     (target >= 0.7)")
    for name, o in figures["open_loop"].items():
        print(f"at {o['rate']:.0f} events/s, {name:4}: p50 {o['p50_ms']:5.1f} ms  p99 {o['p99_ms']:5.1f} ms  "
              f"(achieved {o['achieved_per_second']:.0f}/s, errors {o['errors']})")
    for scenario, e in figures["end_to_end"].items():
        print(f"end to end, {scenario}: {e['people_answered']}/{e['people']} answered in {e['seconds']:.2f} s = "
              f"{e['replies_per_second']:.0f} replies/s (target >= 1000), {e['duplicates']} duplicates; "
              f"all acknowledged after {e['acked_in_seconds']:.2f} s")
    report("ingest", figures)


if __name__ == "__main__":
    main()
