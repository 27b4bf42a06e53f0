"""FAQ matcher benchmark: time to judge one question with 200 entries loaded, start-up time and memory.

    python bench/faq.py             latency (median, p99), start-up, RSS
    python bench/faq.py --compare   accuracy of each scoring method on tests/faq_paraphrases.tsv

The 200 entries are the real ones plus copies whose examples each carry other real Thai words (from
PyThaiNLP's word list), so the vocabulary and the examples to score grow as they would with real content.
Every timed question is judged with the token cache cleared: the figure is for a question never seen before.
"""
from __future__ import annotations

import argparse
import random
import resource
import statistics
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PARAPHRASES = ROOT / "tests" / "faq_paraphrases.tsv"
TARGET_MEDIAN_MS = 2.0


def questions() -> list[tuple[str, str]]:
    return [tuple(line.rstrip("\n").split("\t")) for line in PARAPHRASES.open(encoding="utf-8")
            if line.strip() and not line.startswith("#")]


def startup() -> dict:
    """In a fresh interpreter: import, first segmentation (PyThaiNLP loads its dictionary), index build."""
    code = """
import resource, time, json
from pathlib import Path
base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
t0 = time.perf_counter()
from bot.faq import Faq, FaqIndex
t1 = time.perf_counter()
from bot import textnorm
textnorm.tokens("งานจัดวันไหน")
t2 = time.perf_counter()
index = FaqIndex(Faq.load(Path("content")))
t3 = time.perf_counter()
index.judge("ใครสมัครได้บ้าง")
t4 = time.perf_counter()
print(json.dumps({"import_s": t1 - t0, "dictionary_s": t2 - t1, "index_s": t3 - t2, "first_judge_s": t4 - t3,
                  "rss_before_mb": base / 1024, "rss_after_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""
    import json

    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def grown_faq(size: int):
    from pythainlp.corpus import thai_words

    from bot.faq import Faq

    faq = Faq.load(ROOT / "content")
    words = sorted(thai_words())
    rng = random.Random(4)
    entries = dict(faq.entries)
    real = list(faq.entries.values())
    n = 0
    while len(entries) < size:
        base = real[n % len(real)]
        extra = rng.sample(words, 3)
        entries[f"copy_{n}"] = replace(base, id=f"copy_{n}", related=(), questions={
            lang: tuple(f"{q} {rng.choice(extra)}" for q in qs) for lang, qs in base.questions.items()})
        n += 1
    return Faq(entries=entries, synonyms=faq.synonyms)


def latency(size: int, rounds: int) -> dict:
    from bot import textnorm
    from bot.faq import FaqIndex

    started = time.perf_counter()
    index = FaqIndex(grown_faq(size))
    build = time.perf_counter() - started
    asked = [q for q, _ in questions()]
    timings = []
    for _ in range(rounds):
        for question in asked:
            textnorm.tokens.cache_clear()
            t = time.perf_counter()
            index.judge(question)
            timings.append(time.perf_counter() - t)
    timings.sort()
    return {"entries": len(index.faq.entries), "examples": len(index.examples), "build_s": build,
            "median_ms": statistics.median(timings) * 1000, "p99_ms": timings[int(len(timings) * 0.99)] * 1000,
            "questions": len(timings)}


def compare() -> None:
    from bot.faq import Faq, FaqIndex

    faq = Faq.load(ROOT / "content")
    rows = questions()
    methods = {
        "words only (IDF-weighted)": dict(word_weight=1.0, syllable_weight=0.0),
        "syllables only": dict(word_weight=0.0, syllable_weight=1.0),
        "characters only (rapidfuzz ratio)": dict(word_weight=0.0, syllable_weight=0.0),
        "words + characters": dict(word_weight=0.6, syllable_weight=0.0),
        "words + syllables + characters (chosen)": {},
    }
    print(f"accuracy on {PARAPHRASES.name} ({len(rows)} questions, {sum(e == 'OOS' for _, e in rows)} out of scope):")
    for name, options in methods.items():
        index = FaqIndex(faq, **options)
        right = 0
        for question, expected in rows:
            verdict = index.judge(question)
            right += (verdict.kind == "none") if expected == "OOS" else (
                verdict.kind == "answer" and verdict.best.entry.id == expected)
        print(f"  {name:<42} {right / len(rows):6.1%}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--compare", action="store_true")
    parser.add_argument("--entries", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    if args.compare:
        compare()
        return
    s = startup()
    print("start-up in a fresh interpreter:")
    print(f"  import {s['import_s'] * 1000:.0f} ms, PyThaiNLP dictionary {s['dictionary_s'] * 1000:.0f} ms, "
          f"index of the real FAQ {s['index_s'] * 1000:.0f} ms, first answer {s['first_judge_s'] * 1000:.0f} ms")
    print(f"  RSS {s['rss_before_mb']:.0f} MB before, {s['rss_after_mb']:.0f} MB after "
          f"(+{s['rss_after_mb'] - s['rss_before_mb']:.0f} MB for PyThaiNLP and the index)")
    r = latency(args.entries, args.rounds)
    print(f"{r['entries']} entries ({r['examples']} examples), index built in {r['build_s']:.2f} s; "
          f"{r['questions']} questions never seen before:")
    print(f"  median {r['median_ms']:.2f} ms, p99 {r['p99_ms']:.2f} ms per question (target: median < {TARGET_MEDIAN_MS} ms)")
    print(f"  peak RSS of this process {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")


if __name__ == "__main__":
    main()
