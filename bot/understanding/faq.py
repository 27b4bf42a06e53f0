"""The FAQ: entries organisers write in content/faq.toml, and the matcher that finds the one a person means.

Matching, for questions typed on a phone in Thai or English (figures in bench/faq.py and the issue note):
1. `textnorm.tokens`: normalised, segmented, particles dropped; then the content's synonyms ("วันไร" ->
   "วันไหน"), and a word the FAQ has never seen is corrected to the closest one it has when they are nearly
   the same (rapidfuzz), which catches most typos.
2. Word score: how much of the question an example explains and how much of the example the question has,
   each weighted by how rare a word is across entries (a rare word like "กระทรวง" says more than "งาน").
   A word no entry knows counts fully against the question: "หวยออกวันไหน" is not about our dates.
3. Syllable score: the same over Thai syllables, which agree however a compound was segmented.
4. Character score: rapidfuzz's ratio over the normalised characters, for typos the rest missed.
5. The three are blended; the best example of each entry is the entry's score. Only examples sharing a word or
   syllable with the question are scored (inverted indexes): 0.8 ms a question with 200 entries.
The verdict: answer when confident, "did you mean" (up to 3) when unsure, and decline when the question is
mostly words the FAQ does not know or nothing scores well.
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import regex
from pythainlp.soundex import soundex
from pythainlp.tokenize import syllable_tokenize, word_tokenize
from pythainlp.util import Trie
from rapidfuzz import fuzz, process

from .. import textnorm
from .spelling import EnglishSpelling, skeleton
from ..content import ContentError, bilingual, button_title, example_lists, keyed_tables, read_toml
from ..messenger.replies import QUICK_REPLY_TITLE, units

ID = re.compile(r"^[a-z0-9]+(?:_[a-z0-9]+)*$")

# Chosen by measurement on tests/faq_paraphrases.tsv (see bench/faq.py --compare).
WORD_WEIGHT = 0.5  # the blend: words, syllables, characters (the rest)
SYLLABLE_WEIGHT = 0.3
ANSWER_AT = 0.47  # at least this: answer
UNSURE_AT = 0.35  # at least this (and below ANSWER_AT): "did you mean"
MIN_KNOWN = 0.5  # share of the question's weight the FAQ must know, or decline
MARGIN = 0.04  # a runner-up this close to the best makes the bot ask instead of guess
MIN_INFORMATION = 1.8  # a question of only common words ("hackathon", "ได้อะไร") is asked about, not answered
# Questions about the current moment ("what day is today?") are not for a list of fixed facts: with one of
# these words the FAQ answers only a very close match, and otherwise declines (with topics and a person).
NOW_WORDS = regex.compile(r"วันนี้|พรุ่งนี้|เมื่อวาน|ตอนนี้|ขณะนี้|คืนนี้|\b(?:today|tomorrow|yesterday|tonight)\b")
ANSWER_ABOUT_NOW_AT = 0.75
TYPO_CUTOFF = 86  # rapidfuzz ratio to accept a known word as the correction of an unknown one
TYPO_MIN_LENGTH = 4  # shorter words are too easily "corrected" into another word
THAI_MERGE_CUTOFF = 85  # ... for pieces of a mistyped Thai word glued back together ("ลง ทะ เบีนย": 88.9)
_ENGLISH = regex.compile(r"[a-z]+")


@dataclass(frozen=True)
class Entry:
    id: str
    title: dict[str, str]
    questions: dict[str, tuple[str, ...]]
    answer: dict[str, str]
    related: tuple[str, ...] = ()
    link: dict[str, Any] | None = None


OUT_OF_SCOPE = "out_of_scope"


@dataclass(frozen=True)
class Faq:
    entries: dict[str, Entry]
    synonyms: dict[str, str] = field(default_factory=dict)
    # Questions the bot must decline, as examples (Rasa's out_of_scope intent): "who won the lottery" shares
    # "who won" with an event entry, and only a closer out-of-scope example tells them apart.
    out_of_scope: tuple[str, ...] = ()

    @classmethod
    def load(cls, directory: Path) -> "Faq":
        path = Path(directory) / "faq.toml"
        data = read_toml(path)
        synonyms = data.get("synonyms", {})
        if not isinstance(synonyms, dict) or not all(isinstance(v, str) for v in synonyms.values()):
            raise ContentError(path, "synonyms", "synonyms must map words to words")
        entries: dict[str, Entry] = {}
        for entry_id, item in keyed_tables(path, data, "entry", ID, "lower-case words joined by _"):
            examples = example_lists(path, entry_id, item.get("questions"), "questions")
            link = item.get("link")
            if link is not None:
                if not isinstance(link, dict) or not str(link.get("url", "")).startswith(("https://", "http://")):
                    raise ContentError(path, entry_id, "link.url must be an http(s) URL")
                link = {"url": link["url"], "title": bilingual(path, entry_id, link.get("title"), "link.title")}
            related = item.get("related", [])
            if not isinstance(related, list) or not all(isinstance(r, str) for r in related):
                raise ContentError(path, entry_id, "related must be a list of entry ids")
            title = button_title(path, entry_id, item.get("title"), QUICK_REPLY_TITLE, units)
            entries[entry_id] = Entry(
                id=entry_id,
                title=title,
                questions=examples,
                answer=bilingual(path, entry_id, item.get("answer"), "answer"),
                related=tuple(related),
                link=link,
            )
        for entry in entries.values():
            for other in entry.related:
                if other not in entries:
                    raise ContentError(path, entry.id, f"related entry {other!r} does not exist")
        declined = data.get(OUT_OF_SCOPE, {}).get("questions", []) if isinstance(data.get(OUT_OF_SCOPE, {}), dict) else None
        if not isinstance(declined, list) or not all(isinstance(q, str) and q.strip() for q in declined):
            raise ContentError(path, OUT_OF_SCOPE, "out_of_scope.questions must be a list of questions")
        if OUT_OF_SCOPE in entries:
            raise ContentError(path, OUT_OF_SCOPE, "this id is reserved for the out_of_scope table")
        return cls(entries=entries, synonyms={textnorm.clean(k): textnorm.clean(v) for k, v in synonyms.items()},
                   out_of_scope=tuple(q.strip() for q in declined))


@dataclass(frozen=True)
class Match:
    entry: Entry
    score: float


@dataclass(frozen=True)
class Verdict:
    kind: str  # answer | unsure | none
    matches: tuple[Match, ...]  # best first: the answer, or the "did you mean" choices, or the best guess
    known: float  # share of the question's weight the FAQ knows
    information: float = 0.0  # the summed rarity of the question's known words

    @property
    def best(self) -> Match | None:
        return self.matches[0] if self.matches else None


@dataclass(frozen=True)
class _Example:
    entry_id: str
    words: frozenset[str]
    weight: float
    syllables: frozenset[str]
    syllable_weight: float
    chars: str


def syllables(words: tuple[str, ...]) -> tuple[str, ...]:
    """Thai words as syllables (segmentation-proof: "จัดงาน" and "จัด งาน" agree); other words stay whole."""
    out: list[str] = []
    for w in words:
        out.extend(syllable_tokenize(w, engine="dict") if textnorm.language_of(w) == "th" else (w,))
    return tuple(s for s in out if s.strip())


def _idf(groups: list[tuple[str, tuple[str, ...]]], n: int) -> dict[str, float]:
    """Inverse entry frequency: log(1 + entries / entries containing the unit)."""
    containing: dict[str, set[str]] = {}
    for entry_id, pieces in groups:
        for piece in pieces:
            containing.setdefault(piece, set()).add(entry_id)
    return {u: math.log(1 + n / len(ids)) for u, ids in containing.items()}


def _f1(shared: float, question_weight: float, example_weight: float) -> float:
    """How much of the question the example explains, and how much of the example the question has."""
    if not shared:
        return 0.0
    of_question, of_example = shared / question_weight, shared / example_weight
    return 2 * of_question * of_example / (of_question + of_example)


class FaqIndex:
    """Built once per content load; `judge(text)` is a few hundred microseconds with hundreds of entries."""

    def __init__(self, faq: Faq, word_weight: float = WORD_WEIGHT, syllable_weight: float = SYLLABLE_WEIGHT,
                 answer_at: float = ANSWER_AT, unsure_at: float = UNSURE_AT, min_known: float = MIN_KNOWN):
        self.faq = faq
        self.word_weight, self.syllable_weight = word_weight, syllable_weight
        self.answer_at, self.unsure_at, self.min_known = answer_at, unsure_at, min_known
        # A synonym the segmenter cuts into several tokens ("โอจีพี" -> "โอ", "จี", "พี") is matched as that
        # sequence of tokens, longest first; one-token synonyms are a plain lookup.
        # Keys and values go through the same tokenizer as questions (segmentation, English stems).
        phrases, self._synonyms = [], {}
        for key, value in faq.synonyms.items():
            key_tokens, value_tokens = textnorm.tokens(key) or (key,), textnorm.tokens(value) or (value,)
            if len(key_tokens) > 1:
                phrases.append((key_tokens, value_tokens))
            else:
                self._synonyms[key_tokens[0]] = value_tokens
        self._phrase_synonyms = sorted(phrases, key=lambda kv: -len(kv[0]))
        raw = [(entry.id, q) for entry in faq.entries.values() for lang in ("th", "en") for q in entry.questions[lang]]
        # Title words count as examples too ("OGP คืออะไร").
        raw += [(entry.id, entry.title[lang]) for entry in faq.entries.values() for lang in ("th", "en")]
        raw += [(OUT_OF_SCOPE, q) for q in faq.out_of_scope]
        self._entries = dict(faq.entries)
        if faq.out_of_scope:
            self._entries[OUT_OF_SCOPE] = Entry(OUT_OF_SCOPE, {"th": "", "en": ""}, {"th": faq.out_of_scope, "en": ()},
                                                {"th": "", "en": ""})
        words_of = [(entry_id, self._canonical(textnorm.tokens(q))) for entry_id, q in raw]
        words_of = [(e, ws) for e, ws in words_of if ws]
        syllables_of = [(e, syllables(ws)) for e, ws in words_of]
        n = len(faq.entries)
        self.idf = _idf(words_of, n)
        self.syllable_idf = _idf(syllables_of, n)
        self.vocabulary = sorted(self.idf)
        self.unknown_weight = math.log(1 + n)  # as rare as a word only one entry has
        self._trie = Trie(self.vocabulary)
        # For typos: English words as the examples write them (spelling.py: SymSpell and an English frequency
        # list), Thai words by their sound (LK82 Thai soundex: a final consonant typed from the wrong letter of the
        # same sound, "โหวด" for "โหวต") and by their skeleton (tone marks left out: "ได" for "ได้", one word only).
        self.spelling = EnglishSpelling(w for _, q in raw for w in textnorm.clean(q).split())
        skeletons: dict[str, set[str]] = {}
        for w in self.vocabulary:
            skeletons.setdefault(skeleton(w), set()).add(w)
        self._skeletons = {k: ws.pop() for k, ws in skeletons.items() if len(ws) == 1 and textnorm.language_of(k) == "th"}
        self._thai_words = [w for w in self.vocabulary if textnorm.language_of(w) == "th" and len(w) >= 3]
        self._by_sound: dict[str, list[str]] = {}
        for w in self._thai_words:
            self._by_sound.setdefault(soundex(w, engine="lk82"), []).append(w)
        self.examples = [
            _Example(entry_id, frozenset(ws), sum(self.idf[w] for w in set(ws)),
                     frozenset(ss), sum(self.syllable_idf[s] for s in set(ss)), "".join(ws))
            for (entry_id, ws), (_, ss) in zip(words_of, syllables_of)
        ]
        # Words only out-of-scope examples have ("หวย", "election") know a question but not our event.
        self._event_words = {w for example in self.examples if example.entry_id != OUT_OF_SCOPE for w in example.words}
        self._by_word: dict[str, list[int]] = {}
        self._by_syllable: dict[str, list[int]] = {}
        for i, example in enumerate(self.examples):
            for w in example.words:
                self._by_word.setdefault(w, []).append(i)
            for s in example.syllables:
                self._by_syllable.setdefault(s, []).append(i)

    def _canonical(self, words: tuple[str, ...]) -> tuple[str, ...]:
        synonyms, phrases = self._synonyms, self._phrase_synonyms
        out: list[str] = []
        i = 0
        while i < len(words):
            for key, value in phrases:
                if words[i:i + len(key)] == key:
                    out.extend(value)
                    i += len(key)
                    break
            else:
                out.extend(synonyms.get(words[i], (words[i],)))
                i += 1
        return tuple(out)

    def _correct(self, word: str) -> tuple[str, ...]:
        """A word the index does not know: split into known words (a Thai compound segmented differently
        from the examples: "จัดงาน" -> "จัด", "งาน"), or corrected to a known word spelled nearly the same, or
        (Thai) sounding the same."""
        if word in self.idf or word.isdigit():
            return (word,)
        if textnorm.language_of(word) == "th":
            pieces = word_tokenize(word, custom_dict=self._trie, engine="newmm", keep_whitespace=False)
            if len(pieces) > 1 and all(p in self.idf for p in pieces):
                return tuple(pieces)
            sounds_like = self._skeletons.get(skeleton(word)) or self._sounds_like(word)
            if sounds_like:
                return (sounds_like,)
        if len(word) >= TYPO_MIN_LENGTH:
            found = process.extractOne(word, self.vocabulary, scorer=fuzz.ratio, score_cutoff=TYPO_CUTOFF)
            if found:
                return (found[0],)
        return (word,)

    def _sounds_like(self, word: str) -> str | None:
        """The known Thai word that sounds the same as `word` (LK82 soundex), begins with the same letter and has
        about its length; None for words under 4 letters ("ตัง", money, must not become "ตรง")."""
        if len(word) < 4:
            return None
        same = [w for w in self._by_sound.get(soundex(word, engine="lk82"), ())
                if w[0] == word[0] and abs(len(w) - len(word)) <= 1]
        return max(same, key=lambda w: fuzz.ratio(w, word)) if same else None

    def _english_typo(self, token: str) -> tuple[str, ...]:
        """An English word as written, as the stems the index knows (a chat spelling written out, a typo corrected:
        spelling.py); any other token unchanged."""
        stemmed = textnorm.stem(token)
        if stemmed in self.idf or not _ENGLISH.fullmatch(token):
            return (stemmed,)
        return tuple(textnorm.stem(w) for w in self.spelling.correct(token).replace("'", " ").split()
                     if w not in textnorm.ENGLISH_FUNCTION_WORDS and w not in textnorm.PARTICLES) or (stemmed,)

    def _glue(self, words: tuple[str, ...], known=None) -> tuple[str, ...]:
        """A mistyped Thai word is cut by segmentation into pieces ("ลงทะเบีนย" -> "ลง", "ทะ", "เบีนย"): two to
        four neighbours, one of them unknown, glued back when they spell a known word nearly the same."""
        known = self.idf if known is None else known
        out: list[str] = []
        i = 0
        while i < len(words):
            best = None
            if textnorm.language_of(words[i]) == "th":
                for size in (4, 3, 2):
                    window = words[i:i + size]
                    if len(window) < size or not all(textnorm.language_of(w) == "th" for w in window):
                        continue
                    if all(w in known for w in window):
                        continue
                    glued = "".join(window)
                    found = process.extractOne(glued, self._thai_words, scorer=fuzz.ratio,
                                               score_cutoff=THAI_MERGE_CUTOFF)
                    # By sound only when every piece is unknown or one is a stray letter ("ส" + "มัก" sounds like
                    # "สมัคร"); "ตาราง" + "กิจ" sounds like "ตารางวา".
                    pieces = all(w not in known for w in window) or any(len(w) == 1 for w in window)
                    sounds_like = self._sounds_like(glued) if pieces and not found else None
                    if sounds_like:
                        found = (sounds_like, THAI_MERGE_CUTOFF)
                    if found and (best is None or found[1] > best[1]):
                        best = (found[0], found[1], size)
            if best:
                out.append(best[0])
                i += best[2]
            else:
                out.append(words[i])
                i += 1
        return tuple(out)

    def corrected(self, text: str) -> str:
        """The message as written, its typos corrected like `words` does (English against the examples' words,
        Thai pieces glued back or matched by sound), for what reads whole sentences (the sentence embedding, the
        character n-grams): "sechdule pls" -> "schedule pls", "ลงทะเบีนยยังไง" -> "ลงทะเบียน ยังไง"."""
        out = []
        for token in textnorm.surface_tokens(text):
            if token in self._synonyms:  # a chat spelling of the content's ("wen" -> "when", "ตัง" -> "เงิน")
                out.extend(self._synonyms[token])
                continue
            if _ENGLISH.fullmatch(token) and textnorm.stem(token) not in self.idf:
                out.extend(self.spelling.correct(token).split())
                continue
            out.append(token)
        known = self.idf.keys() | self._synonyms.keys()
        glued = self._glue(tuple(out), known)
        return " ".join(w if w in known or textnorm.language_of(w) != "th"
                        else (self._skeletons.get(skeleton(w)) or self._sounds_like(w) or w) for w in glued)

    def words(self, text: str) -> tuple[str, ...]:
        """The question's words as the index knows them (synonyms applied, compounds split, typos corrected)."""
        stems = tuple(s for w in textnorm.surface_tokens(text) for s in self._english_typo(w))
        return tuple(w for word in self._glue(self._canonical(stems)) for w in self._correct(word))

    def information(self, words: tuple[str, ...]) -> float:
        """How much the known words of a message say: their rarity summed (0 when it has none)."""
        return sum(self.idf[w] for w in set(words) if w in self.idf)

    def search(self, text: str) -> tuple[list[Match], float, float, float]:
        """Entries best first; the share of the question's weight the FAQ knows; how informative that part is;
        and the share the event's own entries know (not counting words only out-of-scope examples have)."""
        words = self.words(text)
        if not words:
            return [], 0.0, 0.0, 0.0
        weights = {w: self.idf.get(w, self.unknown_weight) for w in set(words)}
        total = sum(weights.values())
        information = sum(v for w, v in weights.items() if w in self.idf)
        known = information / total
        in_scope = sum(v for w, v in weights.items() if w in self._event_words) / total
        sylls = {s: self.syllable_idf.get(s, self.unknown_weight) for s in set(syllables(words))}
        syll_total = sum(sylls.values()) or 1.0
        # Shared weight per example, straight from the inverted indexes (one addition per posting).
        shared_words: dict[int, float] = {}
        for w, v in weights.items():
            for i in self._by_word.get(w, ()):
                shared_words[i] = shared_words.get(i, 0.0) + v
        shared_sylls: dict[int, float] = {}
        for s, v in sylls.items():
            for i in self._by_syllable.get(s, ()):
                shared_sylls[i] = shared_sylls.get(i, 0.0) + v
        char_weight = 1 - self.word_weight - self.syllable_weight
        chars = "".join(words)
        best: dict[str, float] = {}
        for i in shared_words.keys() | shared_sylls.keys():
            example = self.examples[i]
            score = (self.word_weight * _f1(shared_words.get(i, 0.0), total, example.weight)
                     + self.syllable_weight * _f1(shared_sylls.get(i, 0.0), syll_total, example.syllable_weight))
            # The character score adds at most char_weight: compute it only where that can still count.
            ceiling = score + char_weight
            if ceiling >= self.unsure_at and ceiling > best.get(example.entry_id, -1.0):
                score += char_weight * fuzz.ratio(chars, example.chars) / 100
            if score > best.get(example.entry_id, -1.0):
                best[example.entry_id] = score
        ranked = sorted((Match(self._entries[e], s) for e, s in best.items()), key=lambda m: -m.score)
        return ranked, known, information, in_scope

    def judge(self, text: str) -> Verdict:
        ranked, known, information, _ = self.search(text)
        # Declined when an out-of-scope example fits clearly better than any entry.
        declined = bool(ranked) and ranked[0].entry.id == OUT_OF_SCOPE and (
            len(ranked) == 1 or ranked[0].score - ranked[1].score >= MARGIN)
        ranked = [m for m in ranked if m.entry.id != OUT_OF_SCOPE]
        if declined or not ranked or known < self.min_known or ranked[0].score < self.unsure_at:
            return Verdict("none", tuple(ranked[:1]), known, information)
        if NOW_WORDS.search(textnorm.clean(text)) and ranked[0].score < ANSWER_ABOUT_NOW_AT:
            return Verdict("none", tuple(ranked[:1]), known, information)
        top = ranked[0]
        close = len(ranked) > 1 and top.score - ranked[1].score < MARGIN and ranked[1].score >= self.answer_at
        if top.score >= self.answer_at and not close and information >= MIN_INFORMATION:
            return Verdict("answer", (top,), known, information)
        choices = tuple(m for m in ranked[:3] if m.score >= self.unsure_at)
        return Verdict("unsure", choices, known, information)
