"""Opinion rounds: 2,000 synthetic participants in 3 planted opinion groups (50/30/20 %) voting on 60 statements,
6 of them agreed by every group, with passes (15 %), noise (10 % of votes flipped) and drive-by voters (5 % with
fewer than 7 votes). Each participant sees 10 to 60 statements.

Figures: adjusted Rand index of the groups found against the planted ones (counted participants), precision
and recall of the consensus found against the planted consensus, seconds for the analysis (median of several
runs, and the first run in the process), peak memory allocated during one analysis (tracemalloc), and what
importing the analysis costs a process. Targets: ARI >= 0.9, every planted consensus statement found and
nothing else, under 5 s.

The analysis is reached through one function, ``ROUTES[name](planted) -> OpinionMap``: "direct" calls
bot.domain.opinion_map.analyse on the votes in this process; "webhook" first sends every vote through the signed
webhook of the bot under gunicorn (one tapped quick reply a delivery, as Messenger sends them; the bot answers each
with the next statement through the fake Graph API), waits until every vote is in the database, then analyses the
votes as the bot stored them (keyed by the bot's pseudonyms, mapped back to the planted participants to score
them). It adds: votes accepted per second (acknowledged), votes processed per second (in the database, answered),
and the job queue's own recompute time while the votes arrive and after (opinion_maps.seconds).
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
import tracemalloc
from collections.abc import Callable

from sklearn.metrics import adjusted_rand_score

from harness import ROOT, report
from opinion_synth import PlantedRound, planted_round
from bot.domain.opinion_map import OpinionMap, analyse

Route = Callable[[PlantedRound], OpinionMap]


def analyse_directly(planted: PlantedRound) -> OpinionMap:
    """The analysis as the job queue will run it: the round's votes in, the map out, in this process."""
    return analyse(planted.votes, planted.statement_ids)


class ThroughTheWebhook:
    """The bot under gunicorn with a round of the planted statements; the votes go in once, through the webhook."""

    def __init__(self, concurrency: int = 8):
        self.concurrency = concurrency
        self.votes: list | None = None
        self.figures: dict = {}
        self.processes: list = []

    def __call__(self, planted: PlantedRound) -> OpinionMap:
        if self.votes is None:
            self.votes = self._drive(planted)
        return analyse(self.votes, planted.statement_ids)

    def _drive(self, planted: PlantedRound) -> list:
        import sqlite3
        import tempfile
        from pathlib import Path

        from harness import SECRET, bot_env, closed_loop, fake_graph, free_port, gunicorn
        from bot.messenger import simulator
        from bot.messenger.webhook import sign
        from bot.privacy import pseudonym

        tmp = Path(tempfile.mkdtemp(prefix="bench-opinions-"))
        fake, graph_url = fake_graph()
        self.processes.append(fake)
        port = free_port()
        env = bot_env(graph_url, tmp / "bot.sqlite3", SEND_RATE="10000", PSEUDONYM_KEY="bench-pseudonym-key")
        self.processes.append(gunicorn("app:create_app()", port, env, log=tmp / "bot.log"))
        flask = [sys.executable, "-m", "flask", "--app", str(ROOT / "app.py"), "opinions"]
        run = lambda *args: subprocess.run([*flask, *args], cwd=ROOT, env={**os.environ, **env}, capture_output=True,
                                           text=True, check=True).stdout
        statements = [a for i in planted.statement_ids for a in ("--statement", f"ข้อความทดสอบที่ {i} | Test statement {i}")]
        round_id = int(run("create", "--title", "ทดสอบ | Benchmark", *statements))
        run("open", str(round_id))
        ids = [s["statement"] for s in json.loads(run("statements", str(round_id), "--json"))]
        psid = {key: f"9{n:06d}" for n, key in enumerate(sorted(planted.group_of))}
        bodies = []
        for n, (key, sid, vote) in enumerate(planted.votes):
            body = simulator.encode(simulator.page_body([simulator.quick_reply(
                psid[key], "x", f"OPINION:VOTE:{ids[sid - 1]}:{vote}", mid=f"m_op_{n}")]))
            bodies.append((body, sign(body, SECRET)))
        db = sqlite3.connect(tmp / "bot.sqlite3", timeout=30)
        count = lambda: db.execute("SELECT count(*) FROM opinion_votes").fetchone()[0]
        load = os.getloadavg()
        started = time.perf_counter()
        acks = closed_loop(f"http://127.0.0.1:{port}", bodies, self.concurrency, duration=3600)
        acked = time.perf_counter()
        while count() < len(planted.votes) and time.perf_counter() - acked < 600:
            time.sleep(0.1)
        processed = time.perf_counter()
        time.sleep(opinion_results_every() + 5)  # the job queue's next recompute, from every vote
        stored = db.execute("SELECT seconds, votes FROM opinion_maps WHERE round_id = ?", (round_id,)).fetchone()
        started_cli = time.perf_counter()
        run("report", str(round_id), "--json")
        cli_seconds = time.perf_counter() - started_cli
        self.figures = {
            "webhook_votes": len(bodies), "webhook_errors": acks["errors"], "load_average_before": load,
            "accepted_votes_per_s": acks["per_second"], "p99_ack_ms": acks["p99_ms"],
            "processed_votes_per_s": count() / (processed - started), "all_votes_stored": count() == len(planted.votes),
            "job_recompute_s": stored[0] if stored else None, "job_recompute_votes": stored[1] if stored else None,
            "cli_report_s": cli_seconds, "load_average_after": os.getloadavg(),
        }
        scope = f"opinion:{round_id}"
        back = {pseudonym("bench-pseudonym-key", scope, p): key for key, p in psid.items()}
        planted_id = {sid: n for n, sid in enumerate(ids, 1)}
        votes = [(back[voter], planted_id[sid], vote) for voter, sid, vote in
                 db.execute("SELECT voter, statement_id, vote FROM opinion_votes ORDER BY updated_at, id")]
        db.close()
        return votes

    def close(self) -> None:
        for process in reversed(self.processes):
            process.stop()


def opinion_results_every() -> float:
    from bot.domain.opinion_results import EVERY

    return EVERY


ROUTES: dict[str, Route] = {"direct": analyse_directly, "webhook": ThroughTheWebhook()}


def score(planted: PlantedRound, result: OpinionMap) -> dict:
    """How well ``result`` recovers what was planted: ARI over the counted participants, consensus
    precision / recall (agree and disagree consensus both count as found)."""
    truth = [planted.group_of[p.key] for p in result.participants]
    found = {c.statement_id for c in result.consensus}
    hits = len(found & planted.consensus_ids)
    return {
        "status": result.status, "reason": result.reason, "voters": result.voters, "counted": result.counted,
        "groups_found": len(result.groups), "group_sizes": [g.size for g in result.groups],
        "silhouette": result.silhouette,
        "ari": adjusted_rand_score(truth, [p.group for p in result.participants]) if truth else 0.0,
        "consensus_found": sorted(found), "consensus_planted": sorted(planted.consensus_ids),
        "consensus_precision": hits / len(found) if found else 0.0,
        "consensus_recall": hits / len(planted.consensus_ids) if planted.consensus_ids else 1.0,
        "divisive": len(result.divisive),
    }


def timings(route: Route, planted: PlantedRound, runs: int) -> tuple[float, list[float], int, OpinionMap]:
    """(first run's seconds, the other runs' seconds, peak bytes allocated during one run, the result)."""
    started = time.perf_counter()
    result = route(planted)
    first = time.perf_counter() - started
    seconds = []
    for _ in range(runs):
        started = time.perf_counter()
        again = route(planted)
        seconds.append(time.perf_counter() - started)
        assert again == result, "the same votes gave a different map"
    tracemalloc.start()
    route(planted)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return first, seconds, peak, result


def import_cost() -> tuple[float, float]:
    """Seconds and MB of resident memory a fresh Python process spends importing the analysis and the parts of
    scikit-learn it uses (which it imports on its first run)."""
    # Current resident memory from /proc (ru_maxrss is inherited across fork and exec: it would show ours).
    probe = ("import re, time\n"
             "rss = lambda: int(re.search(r'VmRSS:\\s+(\\d+)', open('/proc/self/status').read())[1]) / 1024\n"
             "before, started = rss(), time.perf_counter()\n"
             "import bot.domain.opinion_map, sklearn.cluster, sklearn.decomposition, sklearn.metrics\n"
             "print(time.perf_counter() - started, rss() - before)")
    out = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, check=True)
    seconds, mb = out.stdout.split()
    return float(seconds), float(mb)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--participants", type=int, default=2000)
    parser.add_argument("--groups", type=int, default=3)
    parser.add_argument("--statements", type=int, default=60)
    parser.add_argument("--consensus", type=int, default=6)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--route", choices=sorted(ROUTES), default="direct")
    args = parser.parse_args()

    planted = planted_round(args.participants, args.groups, args.statements, args.consensus, seed=args.seed)
    load = os.getloadavg()
    route = ROUTES[args.route]
    try:
        first, seconds, peak, result = timings(route, planted, args.runs)
    finally:
        if hasattr(route, "close"):
            route.close()
    figures = score(planted, result)
    figures.update(getattr(route, "figures", {}))
    import_seconds, import_mb = import_cost()
    figures.update({
        "route": args.route, "participants": args.participants, "statements": args.statements,
        "votes": len(planted.votes), "runs": args.runs, "first_run_s": first,
        "median_s": statistics.median(seconds), "max_s": max(seconds), "peak_alloc_mb": peak / 2**20,
        "import_s": import_seconds, "import_rss_mb": import_mb, "load_average": load,
    })
    ok = (figures["ari"] >= 0.9 and figures["consensus_precision"] == figures["consensus_recall"] == 1.0
          and figures["median_s"] < 5)
    print(f"{args.participants} participants ({result.counted} counted), {args.groups} planted groups, "
          f"{args.statements} statements, {len(planted.votes):,} votes; route {args.route}; "
          f"load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
    print(f"  groups found {figures['groups_found']} {figures['group_sizes']}, silhouette {result.silhouette}, "
          f"adjusted Rand index {figures['ari']:.3f} (target >= 0.9)")
    print(f"  consensus found {figures['consensus_found']} of planted {figures['consensus_planted']}: precision "
          f"{figures['consensus_precision']:.2f}, recall {figures['consensus_recall']:.2f} (target 1.00 / 1.00); "
          f"{figures['divisive']} divisive")
    print(f"  analysis {figures['median_s']:.3f} s median of {args.runs} (max {figures['max_s']:.3f} s; first in the "
          f"process {first:.3f} s{', sending the votes included' if args.route == 'webhook' else ''}) (target < 5 s); peak {figures['peak_alloc_mb']:.1f} MB allocated")
    print(f"  importing the analysis: {import_seconds:.2f} s, +{import_mb:.0f} MB resident")
    if args.route == "webhook":
        print(f"  through the webhook: {figures['accepted_votes_per_s']:.0f} votes/s accepted (p99 {figures['p99_ack_ms']:.1f} ms, "
              f"{figures['webhook_errors']} errors), {figures['processed_votes_per_s']:.0f} votes/s stored and answered, "
              f"all stored: {figures['all_votes_stored']}")
        print(f"  the job queue's recompute: {figures['job_recompute_s']:.3f} s over {figures['job_recompute_votes']} votes; "
              f"`flask opinions report` (a new process: imports, reads, computes, stores) {figures['cli_report_s']:.2f} s; "
              f"load before {figures['load_average_before'][0]:.2f}, after {figures['load_average_after'][0]:.2f}")
    print("  " + ("ALL TARGETS MET" if ok else "TARGET MISSED"))
    report("opinions", figures)


if __name__ == "__main__":
    main()
