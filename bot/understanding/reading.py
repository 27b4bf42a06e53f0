"""The understanding step: what a typed message asks for, and how sure the bot is.

Each message that no exact command took is read once, against three kinds of labels that all have example
sentences organisers write in content/:
- a feature intent (content/intents.toml: register, schedule, vote, ...): the feature opens in the same reply;
- an FAQ entry (content/faq.toml): its answer;
- out of scope (faq.toml's [out_of_scope] examples: the lottery, the weather, ...): declined.

The default method (UNDERSTANDING=hybrid) is a classifier learned from those examples (bot/understanding/intent_classifier.py):
words, characters and the sentence embedding side by side, out of scope a class of its own, a probability per
label. The verdict, with thresholds calibrated on paraphrases that are not examples (bench/faq.py --calibrate):
- "answer": the message is one of the examples (after normalisation), or the best label's probability is at least
  `answer_at` and leads the runner-up by `margin`;
- "unsure": the best label has at least `unsure_at`: the bot asks "did you mean" (up to 3 labels);
- "none": anything else, out of scope likelier than any label, a question about today or tomorrow that only a
  fixed FAQ fact would answer, or a message without words.

The first part of the issue blended two scores per label instead (kept for comparison, UNDERSTANDING=blend, and
its two halves, lexical and embedding):
- lexical, from faq.py's `FaqIndex`: words weighted by rarity, Thai syllables, characters, the content's
  synonyms and typo correction; precise where the message uses the examples' words;
- meaning: the cosine between the message's sentence embedding (embedding.py) and the label's closest
  examples; it finds paraphrases, slang, loanwords and English in Thai word order that share no word.
  score = weight x lexical + (1 - weight) x meaning, answered above a calibrated threshold (`Params`).
"""
from __future__ import annotations

import re
import threading
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .. import textnorm
from ..content import bilingual, button_title, example_lists, keyed_tables, read_toml
from . import embedding, intent_classifier
from .embedding import SentenceEncoder
from .faq import NOW_WORDS, OUT_OF_SCOPE, Entry, Faq, FaqIndex
from ..messenger.replies import QUICK_REPLY_TITLE, units

INTENT_ID = re.compile(r"^[a-z0-9]+(?:_[a-z0-9]+)*$")
INTENT_MARK = "@"  # intents share the label space with FAQ entries as "@register", "@schedule", ...
METHODS = ("hybrid", "lexical", "embedding", "blend")


@dataclass(frozen=True)
class Intent:
    """Something a person asks the bot to do; its examples are how people say it."""

    id: str
    title: dict[str, str]
    examples: dict[str, tuple[str, ...]]
    intro: dict[str, str] = field(default_factory=dict)  # said before the feature opens, when asked in words


def load_intents(directory: Path) -> dict[str, Intent]:
    """content/intents.toml, validated (ContentError names the file, the intent and the reason)."""
    path = Path(directory) / "intents.toml"
    data = read_toml(path)
    intents: dict[str, Intent] = {}
    for intent_id, item in keyed_tables(path, data, "intent", INTENT_ID, "lower-case words joined by _"):
        listed = example_lists(path, intent_id, item.get("examples"), "examples")
        title = button_title(path, intent_id, item.get("title"), QUICK_REPLY_TITLE, units)
        intro = bilingual(path, intent_id, item.get("intro"), "intro", required=False)
        intents[intent_id] = Intent(intent_id, title, listed, intro)
    return intents


@dataclass(frozen=True)
class ClassifierParams:
    """How the classifier's probabilities become a verdict (calibrated by bench/faq.py --calibrate)."""

    answer_at: float  # the best label's probability for an answer ...
    margin: float  # ... and its lead over the runner-up
    unsure_at: float  # at least this (and no answer): "did you mean"
    choice_at: float  # a label is offered among the choices from this probability
    oos_within: float = 0.0  # declined when out of scope comes within this of the best label's probability
    about_now_at: float = 1.0  # a question about today/tomorrow gets an FAQ fact only at this probability
    # A message of known words that say this little ("hackathon", "งาน", "ใคร": the rarity of its words summed)
    # is asked about, not answered, unless the model is at least `sure_at` sure.
    vague_information: float = 0.0
    sure_at: float = 1.0
    classifier: intent_classifier.Settings = intent_classifier.Settings()


@dataclass(frozen=True)
class Params:
    """How blended scores become a verdict (the lexical, embedding and blend methods); calibrated by
    bench/faq.py --calibrate."""

    weight: float  # of the lexical score in the blend (1: lexical only, 0: meaning only)
    answer_at: float
    unsure_at: float
    margin: float  # the lead over the runner-up an answer needs
    oos_margin: float  # decline when out-of-scope examples score at least this much above the best label
    # (negative: decline when they come within that distance of it)
    oos_band: float = 0.0  # out-of-scope examples this close to the best label: ask ("did you mean"), never answer
    oos_floor: float = 0.0  # ... both rules only when the out-of-scope examples themselves score this much
    min_known: float = 0.0  # share of the message's words the event's examples must know, else ask or decline
    # ... and to be answered rather than asked about: "when is songkran" has the form of a question about our
    # dates, but a word no example of the event has ("songkran") may be its real subject.
    answer_known: float = 0.0
    min_information: float = 0.0  # summed rarity of its known words, else "did you mean" rather than an answer
    sure_meaning: float = 1.0  # neither word rule applies when the meaning alone is this close ("thx", "hello there")
    about_now_at: float = 1.0  # a question about today/tomorrow gets an FAQ fact only at this score
    weigh_by_known: bool = False  # lexical weight x the share of the message's words the examples know


# Calibrated on bench/questions/understanding-dev.tsv and tests/faq_paraphrases.tsv (bench/faq.py --calibrate: the
# most right answers less 3 per wrong one, 6 per answer to a question outside the event, plus half a point per
# "did you mean" that offers the right choice). The classifier's answer_at then by bench/faq_thresholds.py (0.3 ->
# 0.25): the most right answers on the citizens' development sets with at most 1 % wrong on each and no question
# outside the event answered, the content's examples cross-validated losing at most 1 point to wrong answers.
PARAMS = {
    "hybrid": ClassifierParams(answer_at=0.25, margin=0.0, unsure_at=0.1, choice_at=0.1, oos_within=0.15,
                               about_now_at=0.7, vague_information=2.0, sure_at=0.8,
                               classifier=intent_classifier.Settings(temperature=2.0)),
    # unsure_at and oos_floor are set lower than calibrated (0.57, 0): the calibration scores a polite decline and
    # a "did you mean" alike for a question it cannot answer, but a person who mistyped "สมัคยังไงอ่ะ" is better
    # served by "did you mean 📝 Register" (0.45 costs 3.9 points of "right" on the paraphrases, no wrong answer).
    "blend": Params(weight=0.2, answer_at=0.62, unsure_at=0.45, margin=0.02, oos_margin=-0.1, oos_floor=0.45,
                     answer_known=0.8, min_information=1.8, sure_meaning=0.8, about_now_at=0.7, weigh_by_known=True),
    "lexical": Params(weight=1.0, answer_at=0.44, unsure_at=0.34, margin=0.06, oos_margin=0.0, min_information=1.8,
                      sure_meaning=0.8, about_now_at=0.7, weigh_by_known=True),
    "embedding": Params(weight=0.0, answer_at=0.64, unsure_at=0.59, margin=0.02, oos_margin=-0.1, answer_known=0.8,
                        min_information=1.8, sure_meaning=0.8, about_now_at=0.7),
}
LOW_MARGIN = 2.0  # an answer leading by less than this many margins is logged for organisers, as a miss


@dataclass(frozen=True)
class Candidate:
    label: str  # an FAQ entry's id, "@intent", or out_of_scope
    score: float
    lexical: float = 0.0
    meaning: float = 0.0

    @property
    def is_intent(self) -> bool:
        return self.label.startswith(INTENT_MARK)

    @property
    def id(self) -> str:
        """The entry's or the intent's own id."""
        return self.label[len(INTENT_MARK):] if self.is_intent else self.label


@dataclass(frozen=True)
class Reading:
    """What a message asks for: the verdict, the labels best first (at most 3, never out_of_scope) and why."""

    verdict: str  # answer | unsure | none
    candidates: tuple[Candidate, ...]
    reason: str  # confident | close runner-up | vague | near out of scope | low score | out of scope | unknown words |
    # about now | no words
    margin: float = 0.0  # the best label's lead over the runner-up
    low_margin: bool = False  # an answer whose lead is thin: logged for organisers as a miss

    @property
    def best(self) -> Candidate | None:
        return self.candidates[0] if self.candidates else None

    @property
    def confidence(self) -> float:
        return self.best.score if self.best else 0.0

    def asks_for(self, intent: str) -> bool:
        return self.verdict == "answer" and self.best is not None and self.best.label == INTENT_MARK + intent


class Understanding:
    """Built with each content load. `read(text)` is a few milliseconds; meaning needs the model and what it
    learns from the examples first (`prepare()`, done ahead of the first message in the process that answers:
    the classifier trains in a fraction of a second, the blend embeds the examples)."""

    def __init__(self, faq: Faq, intents: dict[str, Intent], method: str = "hybrid",
                 encoder: SentenceEncoder | None = None, params: Params | ClassifierParams | None = None,
                 model_cache: Path | None = None):
        if method not in METHODS:
            raise ValueError(f"method must be one of {METHODS}, got {method!r}")
        self.faq, self.intents, self.method, self.model_cache = faq, intents, method, model_cache
        self.encoder = encoder or embedding.ENCODER  # the process's one model
        self.params = params or PARAMS[method]
        labelled = dict(faq.entries)
        for intent in intents.values():
            label = INTENT_MARK + intent.id
            labelled[label] = Entry(label, intent.title, intent.examples, {"th": "", "en": ""})
        self.lexical = FaqIndex(Faq(labelled, faq.synonyms, faq.out_of_scope))
        # Every example as a sentence, grouped by label (for the best example of each label at once).
        sentences = [(e.id, q) for e in labelled.values() for lang in ("th", "en") for q in e.questions[lang]]
        sentences += [(e.id, e.title[lang]) for e in labelled.values() for lang in ("th", "en")]
        sentences += [(OUT_OF_SCOPE, q) for q in faq.out_of_scope]
        sentences.sort(key=lambda pair: pair[0])
        self._labelled_sentences = sentences
        self._classifier: intent_classifier.IntentClassifier | None = None
        self._exact: dict[tuple[str, ...], str] | None = None
        self.labels = sorted({label for label, _ in sentences})
        self._sentences = [textnorm.plain(q) or q for _, q in sentences]
        owner = [label for label, _ in sentences]
        self._starts = np.array([owner.index(label) for label in self.labels])
        self._counts = np.diff(np.append(self._starts, len(owner)))
        self._vectors: np.ndarray | None = None
        self._lock = threading.Lock()

    @property
    def examples(self) -> int:
        return len(self._sentences)

    # -- meaning ------------------------------------------------------------------------------------------
    @property
    def uses_meaning(self) -> bool:
        return self.method != "lexical"

    @property
    def classifies(self) -> bool:
        return self.method == "hybrid"

    @property
    def prepared(self) -> bool:
        if self.classifies:
            return self._classifier is not None
        return not self.uses_meaning or self._vectors is not None

    def prepare(self) -> None:
        """Train the classifier (once per content version and process: see intent_classifier.trained), or embed
        every example for the blend (once per process for a sentence: the encoder keeps vectors)."""
        if self.prepared:
            return
        with self._lock:
            if self.classifies and self._classifier is None:
                params: ClassifierParams = self.params
                key = intent_classifier.fingerprint(self._labelled_sentences, self.faq.synonyms, params.classifier,
                                                    self.encoder.model)
                self._classifier = intent_classifier.trained(key, lambda: intent_classifier.IntentClassifier(
                    self._labelled_sentences, self.lexical.words, self.encoder.encode, OUT_OF_SCOPE,
                    params.classifier, corrected=self.lexical.corrected),
                    attach=lambda fitted: intent_classifier.IntentClassifier.attach(
                        fitted, self.lexical.words, self.encoder.encode, self.lexical.corrected),
                    directory=self.model_cache)
                exact: dict[tuple[str, ...], str] = {}
                for label, sentence in self._labelled_sentences:  # a wording two labels share is no exact match
                    words = self.lexical.words(sentence)
                    exact[words] = label if exact.get(words, label) == label else ""
                self._exact = {words: label for words, label in exact.items() if label and words}
            elif not self.classifies and self._vectors is None:
                self._vectors = self.encoder.encode(self._sentences)

    def meaning(self, text: str) -> dict[str, float]:
        """Each label's similarity to the message: the mean cosine of its two closest examples (one close
        example may be a coincidence of wording; two agree on the meaning: 84 % right against 78 % for the
        closest alone, embedding alone, on the calibration paraphrases)."""
        self.prepare()
        query = self.encoder.encode([textnorm.plain(text) or text])[0]
        sims = self._vectors @ query
        first = np.maximum.reduceat(sims, self._starts)
        rest = np.where(sims >= np.repeat(first, self._counts), -np.inf, sims)
        second = np.maximum.reduceat(rest, self._starts)
        second = np.where(np.isfinite(second), second, first)  # a label with one example (or all tied)
        return dict(zip(self.labels, ((first + second) / 2).tolist()))

    # -- reading ------------------------------------------------------------------------------------------
    def scores(self, text: str) -> tuple[list[Candidate], float, float]:
        """Every label that scores at all, best first; the share of the message the content knows (lexical);
        and how informative its known words are."""
        matches, _, information, known = self.lexical.search(text)
        lexical = {m.entry.id: m.score for m in matches}
        meaning = self.meaning(text) if self.uses_meaning else {}
        return blend(lexical, meaning, known, self.params), known, information

    def read(self, text: str) -> Reading:
        if textnorm.message_language(text) is None:
            return Reading("none", (), "no words")
        if self.classifies:
            return self.classify(text)
        ranked, known, information = self.scores(text)
        return decide(ranked, known, information, about_now=bool(NOW_WORDS.search(textnorm.clean(text))),
                      params=self.params)


    @property
    def model(self) -> intent_classifier.IntentClassifier | None:
        """The trained classifier (None before `prepare()`, and for the other methods)."""
        return self._classifier

    def probabilities(self, text: str) -> dict[str, float]:
        """Each label's probability (the classifier), out_of_scope included."""
        self.prepare()
        return self._classifier.probabilities(text)

    def exact_label(self, words: tuple[str, ...]) -> str | None:
        """The label whose example a message is, word for word once normalised ("สมัครยังไงคะ" is the example
        "สมัครยังไง"): an example organisers just added from a miss is answered at once, whatever the model makes of
        it."""
        self.prepare()
        return self._exact.get(words)

    def classify(self, text: str) -> Reading:
        words = self.lexical.words(text)
        # Only known words, and common ones ("hackathon", "งาน"); a word the examples never use ("can my grandma
        # join") is a subject of its own, left to the model, as is a message of no known word ("thx").
        vague = (bool(words) and all(w in self.lexical.idf for w in words)
                 and self.lexical.information(words) < self.params.vague_information)
        about_now = bool(NOW_WORDS.search(textnorm.clean(text)))
        return decide_classified(self.probabilities(text), self.exact_label(words), vague, about_now, self.params)


def decide_classified(probabilities: dict[str, float], exact: str | None, vague: bool, about_now: bool,
                      params: ClassifierParams) -> Reading:
    """The verdict from the classifier's probabilities (see the module's docstring); separate so calibration can
    replay it. `exact`: the label whose example the message is; `vague`: its known words say little."""
    p = params
    ranked = sorted(probabilities.items(), key=lambda kv: -kv[1])
    labels = [Candidate(label, score) for label, score in ranked if label != OUT_OF_SCOPE]
    if exact is not None:
        if exact == OUT_OF_SCOPE:
            return Reading("none", tuple(labels[:3]), "out of scope")
        best = Candidate(exact, 1.0)
        return Reading("answer", (best, *[c for c in labels if c.label != exact][:2]), "example", 1.0)
    shown = tuple(labels[:3])
    best = labels[0]
    margin = best.score - (labels[1].score if len(labels) > 1 else 0.0)
    if probabilities.get(OUT_OF_SCOPE, 0.0) >= best.score - p.oos_within:
        return Reading("none", shown, "out of scope", margin)
    if about_now and not best.is_intent and best.score < p.about_now_at:
        return Reading("none", shown, "about now", margin)
    vague = vague and best.score < p.sure_at
    if best.score >= p.answer_at and margin >= p.margin and not vague:
        return Reading("answer", shown, "confident", margin, low_margin=margin < LOW_MARGIN * max(p.margin, 0.05))
    if best.score >= p.unsure_at or vague:
        # A vague message could mean any of the likeliest three: all are offered.
        choices = shown if vague else tuple(c for c in shown if c.score >= p.choice_at) or (best,)
        reason = "low score" if best.score < p.answer_at else "vague" if vague else "close runner-up"
        return Reading("unsure", choices, reason, margin)
    return Reading("none", shown, "low score", margin)


def blend(lexical: dict[str, float], meaning: dict[str, float], known: float, params: Params) -> list[Candidate]:
    """Each label's score, best first. Words tell only as much as they are known: the lexical weight shrinks
    with the share of the message's words the event's examples know (slang, a typo nothing corrected, a loanword
    spelled another way), leaving the judgement to meaning."""
    w = params.weight * (known if params.weigh_by_known else 1.0)
    candidates = [Candidate(label, w * lexical.get(label, 0.0) + (1 - w) * meaning.get(label, 0.0),
                            lexical.get(label, 0.0), meaning.get(label, 0.0))
                  for label in lexical.keys() | meaning.keys()]
    candidates.sort(key=lambda c: -c.score)
    return candidates


def decide(ranked: list[Candidate], known: float, information: float, about_now: bool, params: Params) -> Reading:
    """The verdict from the scores (see the module's docstring); separate so calibration can replay it."""
    p = params
    labels = [c for c in ranked if c.label != OUT_OF_SCOPE]
    shown = tuple(labels[:3])
    if not labels:
        return Reading("none", shown, "out of scope" if ranked else "low score")
    best, runner_up = labels[0], (labels[1].score if len(labels) > 1 else 0.0)
    margin = best.score - runner_up
    declined = next((c for c in ranked if c.label == OUT_OF_SCOPE and c.score >= p.oos_floor), None)
    if declined is not None and declined.score - best.score >= p.oos_margin:
        return Reading("none", shown, "out of scope", margin)
    if known < p.min_known and best.meaning < p.sure_meaning:  # mostly words the event's examples never use:
        if best.score >= p.unsure_at:  # a typo or slang near a label: offer it; anything else: decline
            return Reading("unsure", tuple(c for c in shown if c.score >= p.unsure_at), "unknown words", margin)
        return Reading("none", shown, "unknown words", margin)
    if about_now and not best.is_intent and best.score < p.about_now_at:
        return Reading("none", shown, "about now", margin)
    vague = information < p.min_information and best.meaning < p.sure_meaning
    near_out_of_scope = declined is not None and best.score - declined.score < p.oos_band
    unexplained = known < p.answer_known and best.meaning < p.sure_meaning
    if best.score >= p.answer_at and margin >= p.margin and not (vague or near_out_of_scope or unexplained):
        return Reading("answer", shown, "confident", margin, low_margin=margin < LOW_MARGIN * p.margin)
    if best.score >= p.unsure_at:
        choices = tuple(c for c in shown if c.score >= p.unsure_at)
        reason = ("low score" if best.score < p.answer_at else "vague" if vague else
                  "near out of scope" if near_out_of_scope else "unknown words" if unexplained else "close runner-up")
        return Reading("unsure", choices, reason, margin)
    return Reading("none", shown, "low score", margin)
