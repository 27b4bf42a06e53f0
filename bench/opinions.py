"""Opinion rounds: 2,000 synthetic participants in 3 planted opinion groups (50/30/20 %) voting on 60 statements,
6 of them agreed by every group, with passes (15 %), noise (10 % of votes flipped) and drive-by voters (5 % with
fewer than 7 votes). Each participant sees 10 to 60 statements.

Figures: adjusted Rand index of the groups found against the planted ones (counted participants), precision
and recall of the consensus found against the planted consensus, seconds for the analysis (median of several
runs, and the first run in the process), peak memory allocated during one analysis (tracemalloc), and what
importing the analysis costs a process. Targets: ARI >= 0.9, every planted consensus statement found and
nothing else, under 5 s.

The analysis is reached through one function, ``ROUTES[name](planted) -> OpinionMap``: "direct" calls
bot.domain.opinion_map.analyse on the votes in this process.
"""
from __future__ import annotations

import argparse
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


ROUTES: dict[str, Route] = {"direct": analyse_directly}


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
    first, seconds, peak, result = timings(ROUTES[args.route], planted, args.runs)
    figures = score(planted, result)
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
          f"process {first:.3f} s) (target < 5 s); peak {figures['peak_alloc_mb']:.1f} MB allocated")
    print(f"  importing the analysis: {import_seconds:.2f} s, +{import_mb:.0f} MB resident")
    print("  " + ("ALL TARGETS MET" if ok else "TARGET MISSED"))
    report("opinions", figures)


if __name__ == "__main__":
    main()
