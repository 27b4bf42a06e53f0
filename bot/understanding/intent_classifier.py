"""A classifier learned from the content's examples: which label a typed message is, with a probability.

The labels are the FAQ entries, the feature intents ("@register", ...) and out of scope (content/faq.toml's
[out_of_scope] examples, a class of its own). Each message becomes three views, side by side in one sparse vector:
- meaning: its sentence embedding (embedding.py; paraphrases, slang, English in Thai word order), averaged with
  the embedding of the message with its typos corrected (faq.py `FaqIndex.corrected`);
- characters: TF-IDF of character 2- to 5-grams within words of the normalised text, robust to typos and to Thai
  written without spaces ("ตารางงนา" still shares "ตาราง" with "ตารางงาน");
- words: TF-IDF of the words as the lexical index reads them (particles dropped, synonyms, typos corrected, English
  stems), with every word the event's own examples never use replaced by one "unknown word" token. A linear model
  ignores words it never saw, so "when is songkran" would be just "when is", a question about our dates; the token
  lets it learn that unknown words lean out of scope. It is learned honestly: in the event's examples, a word no
  other example has counts as unknown too, so the model also sees event questions with a word of their own.
A linear support-vector machine (scikit-learn's LinearSVC, one against the rest, classes weighted by their number of
examples) is trained on these; its scores become probabilities by a softmax whose temperature was fitted on
paraphrases that are not examples (bench/faq.py --calibrate): a probability of 0.9 is right about 9 times in 10.

Training takes 5-15 s for the content's 3,000 examples (embedding them, then the fit), once per content version:
the model is kept by the hash of everything it learns from, so a reload that changes no example (texts.toml, the
agenda) reuses it, a second bot in the same process (tests) trains nothing, and with MODEL_CACHE_DIR a new
process reads what an earlier one trained (`trained`).
"""
from __future__ import annotations

import hashlib
import json
import logging
import os
import pickle
import tempfile
import threading
from collections import Counter, OrderedDict
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Sequence

import numpy as np

from .. import textnorm
from . import augment

log = logging.getLogger(__name__)
UNKNOWN_WORD = "xunknownx"  # never a real token: the normaliser lower-cases and keeps letters only
NUMBER = "xnumberx"
_THAI_MARKS = frozenset(chr(c) for c in (0x0E31, *range(0x0E34, 0x0E3B), *range(0x0E47, 0x0E4F)))


@dataclass(frozen=True)
class Settings:
    """How the classifier is built (chosen by measurement: bench/faq.py --classifiers)."""

    c: float = 1.0  # LinearSVC's regularisation: higher fits the examples more closely
    meaning_weight: float = 2.0  # the embedding's share of the vector, against the two TF-IDF views (each 1)
    char_ngrams: tuple[int, int] = (2, 5)
    chars_weight: float = 1.0
    words_weight: float = 1.0
    temperature: float = 4.0  # softmax(temperature x score): calibrated on paraphrases
    # Learn from each Thai example's variants too (augment.py: marks left out, a neighbouring key, a particle),
    # with the example's own sentence embedding (the words and characters views are the variant's).
    augment: bool = False


def softmax(scores: np.ndarray, temperature: float) -> np.ndarray:
    z = scores * temperature
    z -= z.max(axis=-1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=-1, keepdims=True)


class IntentClassifier:
    """Trained on (label, sentence) examples; `probabilities(text)` -> {label: probability}, summing to 1.

    `words(text)` is the lexical index's reading of a text (a tuple of tokens), `embed(sentences)` the sentence
    encoder (rows L2-normalised)."""

    def __init__(self, examples: Sequence[tuple[str, str]], words: Callable[[str], tuple[str, ...]],
                 embed: Callable[[list[str]], np.ndarray], out_of_scope: str, settings: Settings = Settings(),
                 corrected: Callable[[str], str] | None = None):
        self.settings, self.out_of_scope = settings, out_of_scope
        self._words, self._embed = words, embed
        self._corrected = corrected or _plain
        # Imported here, when the answering process trains in the background: scikit-learn takes a second or more
        # to import, time a starting bot (and its /healthz) would otherwise wait.
        from scipy import sparse
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.svm import LinearSVC

        labels = [label for label, _ in examples]
        texts = [text for _, text in examples]
        meaning = self._meaning(texts)
        if settings.augment:
            extra = [(i, variant) for i, text in enumerate(texts) for variant in augment.variants(text)]
            labels += [labels[i] for i, _ in extra]
            texts += [variant for _, variant in extra]
            meaning = np.vstack([meaning, meaning[[i for i, _ in extra]]]) if extra else meaning
        tokens = [words(t) for t in texts]
        # A word no other example has counts as unknown in its example (see the module's doc).
        seen = Counter(w for ws in tokens[:len(examples)] for w in set(ws))  # the examples, not their variants
        self._known = frozenset(w for w, n in seen.items() if n > 1)
        # A variant's unknown words are its typos, not a subject of its own: no unknown-word token from them.
        word_docs = [self._word_doc(ws, typo=n >= len(examples)) for n, ws in enumerate(tokens)]
        lo, hi = settings.char_ngrams
        self._chars = TfidfVectorizer(analyzer="char_wb", ngram_range=(lo, hi), sublinear_tf=True, dtype=np.float32)
        self._wordvec = TfidfVectorizer(analyzer=str.split, sublinear_tf=True, dtype=np.float32)
        x = sparse.hstack([
            sparse.csr_matrix(meaning * settings.meaning_weight),
            self._chars.fit_transform([_plain(t) for t in texts]) * settings.chars_weight,
            self._wordvec.fit_transform(word_docs) * settings.words_weight,
        ]).tocsr()
        self._model = LinearSVC(C=settings.c, class_weight="balanced").fit(x, labels)
        self.labels: list[str] = [str(label) for label in self._model.classes_]

    # What training produced, without the functions given (they belong to this process): kept on disk by `trained`.
    FITTED = ("settings", "out_of_scope", "_known", "_chars", "_wordvec", "_model", "labels")

    def fitted(self) -> dict:
        return {name: getattr(self, name) for name in self.FITTED}

    @classmethod
    def attach(cls, fitted: dict, words: Callable[[str], tuple[str, ...]], embed: Callable[[list[str]], np.ndarray],
               corrected: Callable[[str], str] | None = None) -> "IntentClassifier":
        """A classifier from what an earlier training produced (`fitted()`), with this process's functions."""
        model = cls.__new__(cls)
        model.__dict__.update(fitted)
        model._words, model._embed, model._corrected = words, embed, corrected or _plain
        return model

    def _word_doc(self, words: tuple[str, ...], typo: bool = False) -> str:
        """The words view: known words as they are, any other as the unknown-word token, except numbers (one
        token of their own) and the stray Thai letters a typo leaves after segmentation (dropped: one or two
        letters, "ส", "มุ", are pieces of a mistyped word, not a new subject)."""
        out = []
        for w in words:
            if w in self._known:
                out.append(w)
            elif w.isdigit():
                out.append(NUMBER)
            elif not typo and (textnorm.language_of(w) != "th" or sum(ch not in _THAI_MARKS for ch in w) > 2):
                out.append(UNKNOWN_WORD)
        return " ".join(out)

    def _meaning(self, texts: list[str]) -> np.ndarray:
        """The embedding of each text as written and of its typos corrected ("sechdule pls" is junk to the
        model, "schedule" is not), averaged; the same as the first for a text without typos."""
        both = self._embed([_plain(t) for t in texts]) + self._embed([self._corrected(t) or _plain(t) for t in texts])
        return both / np.maximum(np.linalg.norm(both, axis=1, keepdims=True), 1e-9)

    def _vector(self, text: str):
        from scipy import sparse  # imported by __init__ already: a dictionary look-up

        words = self._word_doc(self._words(text))
        return sparse.hstack([
            sparse.csr_matrix(self._meaning([text]) * self.settings.meaning_weight),
            self._chars.transform([_plain(text)]) * self.settings.chars_weight,
            self._wordvec.transform([words]) * self.settings.words_weight,
        ]).tocsr()

    def scores(self, text: str) -> np.ndarray:
        """The model's raw score per label (in `labels` order)."""
        scores = self._model.decision_function(self._vector(text))[0]
        if len(self.labels) == 2:  # a binary model has one score: the second label's
            scores = np.array([-scores, scores])
        return scores

    def probabilities(self, text: str) -> dict[str, float]:
        return dict(zip(self.labels, softmax(self.scores(text), self.settings.temperature).tolist()))


def _plain(text: str) -> str:
    return textnorm.plain(text) or text


# -- one model per content version --------------------------------------------------------------------------
_CACHE: OrderedDict[str, IntentClassifier] = OrderedDict()
_CACHE_SIZE = 4
KEEP_ON_DISK = 3  # content versions kept in MODEL_CACHE_DIR
_cache_lock = threading.Lock()


def fingerprint(examples: Sequence[tuple[str, str]], *parts) -> str:
    """What a trained model depends on, as a hash: the examples, and anything else given (synonyms, settings,
    the embedding model's name)."""
    digest = hashlib.sha256()
    digest.update(json.dumps([list(e) for e in examples], ensure_ascii=False).encode())
    digest.update(json.dumps([repr(p) for p in parts], ensure_ascii=False).encode())
    return digest.hexdigest()


def trained(key: str, build: Callable[[], IntentClassifier],
            attach: Callable[[dict], IntentClassifier] | None = None, directory: Path | None = None) -> IntentClassifier:
    """The model for `key` (a fingerprint), built once while the process keeps it. With `directory`, what training
    produced is also kept there (`<key>-sklearn<version>.pickle`, written whole or not at all), and a new process
    (a restart, another worker, a test's bot) reads it back with `attach` in a fraction of a second instead of
    training for 5-15 s. A file that cannot be read is trained over; one that cannot be written is only logged.
    The files are pickles: the directory must be writable by the bot alone, as its database is."""
    with _cache_lock:
        if key in _CACHE:
            _CACHE.move_to_end(key)
            return _CACHE[key]
    # Outside the lock: another content version may train at the same time.
    model = _read(directory, key, attach) if directory is not None and attach is not None else None
    if model is None:
        model = build()
        if directory is not None:
            _write(directory, key, model)
    with _cache_lock:
        _CACHE[key] = model
        while len(_CACHE) > _CACHE_SIZE:
            _CACHE.popitem(last=False)
    return model


def _path(directory: Path, key: str) -> Path:
    import sklearn  # already imported by training or by the pickle's classes

    return Path(directory) / f"{key[:40]}-sklearn{sklearn.__version__}.pickle"


def _read(directory: Path, key: str, attach: Callable[[dict], IntentClassifier]) -> IntentClassifier | None:
    path = _path(directory, key)
    if not path.is_file():
        return None
    try:
        with path.open("rb") as file:
            return attach(pickle.load(file))
    except Exception as exc:  # a file from another version, cut short, or damaged: train instead
        log.warning("understanding.model_cache_unreadable path=%s error=%s", path, type(exc).__name__)
        return None


def _write(directory: Path, key: str, model: IntentClassifier) -> None:
    path = _path(directory, key)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile("wb", dir=path.parent, prefix=".training-", delete=False) as file:
            pickle.dump(model.fitted(), file, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(file.name, path)  # whole or not at all: a reader never sees half a file
        for old in sorted(path.parent.glob("*.pickle"), key=lambda p: p.stat().st_mtime)[:-KEEP_ON_DISK]:
            old.unlink(missing_ok=True)  # earlier content versions (each example added makes one, ~11 MB)
    except OSError as exc:
        log.warning("understanding.model_cache_unwritable path=%s error=%s", path, exc)
