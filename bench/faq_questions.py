"""The understanding benchmark's questions and how an outcome is counted (shared by bench/faq.py and
bench/faq_calibration.py).

The development questions (never examples in content/) are bench/questions/understanding-dev.tsv and
tests/faq_paraphrases.tsv (question<TAB>label: an FAQ entry's id, @intent, OOS, or ? for a message too vague to
answer, where "did you mean" is right), and bench/questions/heldout-citizens.tsv and fresh-*.tsv (question<TAB>expect
as `make eval-faq` reads them: the right labels are the entries whose answer has the expected words), and
bench/questions/heldout-2.tsv, the second held-out set, spent (measured once sealed, 30 November 2026; a development
set since). The sealed held-out set, bench/questions/heldout-3.tsv, is never read here: `make eval-faq` reports on it.
"""
from __future__ import annotations

import sys
from dataclasses import dataclass, replace
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot import textnorm  # noqa: E402
from bot.understanding.embedding import SentenceEncoder  # noqa: E402
from bot.understanding.faq import OUT_OF_SCOPE, Faq  # noqa: E402
from bot.understanding.reading import INTENT_MARK, PARAMS, Understanding, load_intents  # noqa: E402

QUESTIONS = ROOT / "bench" / "questions"
LABELLED = (QUESTIONS / "understanding-dev.tsv", ROOT / "tests" / "faq_paraphrases.tsv")
EXPECTED = (QUESTIONS / "heldout-citizens.tsv", *sorted(QUESTIONS.glob("fresh-*.tsv")), QUESTIONS / "heldout-2.tsv")
VAGUE = "?"  # a message too vague to answer: "did you mean" is the right reply


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

