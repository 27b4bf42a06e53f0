"""Calibration of the understanding step on the development questions (run through bench/faq.py --calibrate and
--classifiers): the classifier's temperature and thresholds, the first part's blends, the classifier's levers."""
from __future__ import annotations

import itertools
import random
import time
from dataclasses import dataclass, field, replace

import numpy as np

from faq_questions import (OUT_OF_SCOPE, VAGUE, Question, development, line, outcome, tally,  # noqa: F401
                           understanding)
from bot import textnorm
from bot.understanding import intent_classifier
from bot.understanding.embedding import SentenceEncoder
from bot.understanding.faq import NOW_WORDS
from bot.understanding.intent_classifier import Settings
from bot.understanding.reading import (INTENT_MARK, PARAMS, ClassifierParams, Params, Understanding, blend, decide,
                                       decide_classified)

WRONG_COST = 3  # calibration: a confident wrong answer costs as much as three right ones are worth (an answer to
# a question outside the event twice that)
HELPFUL_WORTH = 0.5  # a "did you mean" that offers the right choice is worth half a right answer (a decline: 0)
# Never answer below this blended score, whatever the paraphrases say: a message unlike every example and every
# out-of-scope example alike (nothing to compare it with) must not be answered because one label leads a little.
ANSWER_FLOOR = 0.4


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


def replay_classified(c: Classified, params: ClassifierParams, indices=None, helpful: list | None = None) -> list[str]:
    """Each question's outcome with these parameters (the bot's own decide_classified); `helpful`, when given,
    gets for each whether it was a "did you mean" offering a right choice."""
    temperature = params.classifier.temperature
    if temperature not in c.extra:  # the probabilities at each temperature, computed once
        c.extra[temperature] = [dict(zip(c.labels, intent_classifier.softmax(row, temperature).tolist()))
                                for row in c.scores]
    out = []
    for i in (range(len(c.questions)) if indices is None else indices):
        q = c.questions[i]
        if not c.words[i]:
            out.append(outcome(q.gold, "none", None))
            if helpful is not None:
                helpful.append(False)
            continue
        probabilities = c.extra[temperature][i]
        vague = 0 < c.information[i] < params.vague_information  # inf: a word the examples never use
        reading = decide_classified(probabilities, c.exact[i], vague, bool(c.about_now[i]), params)
        out.append(outcome(q.gold, reading.verdict, reading.best.label if reading.best else None))
        if helpful is not None:
            helpful.append(reading.verdict == "unsure" and any(ch.label in q.gold for ch in reading.candidates))
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
