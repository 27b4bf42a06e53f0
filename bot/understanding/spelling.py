"""Typos and chat spellings, corrected towards the words the content's examples use.

English ("waht are the topcis", "is it fre", "who can joni", "tnx", "yo whens the event"): SymSpell (the PyPI
package `symspellpy`, MIT) finds the examples' words within one or two edits (Damerau: a swapped pair of letters,
"waht", is one edit, where a plain similarity ratio scored it 75 of 100), and its English frequency list (82,765
words with their counts in Google Books, shipped in the package) says which words are real English words and how
common a candidate is:
- a chat spelling ("tnx", "u", "whens", "sup") is written out first, from `CHAT`: well-known chat English,
  the same for every event (an event's own words go in content/faq.toml's [synonyms]);
- a word the examples use is kept, as is any word of 2 letters or fewer;
- a word that is no English word ("waht", "topcis", "fre", "registr") becomes the examples' nearest word (fewest
  edits; then the same first letter, which typos rarely change; then the commoner in English);
- a real but rare English word becomes an example's word one edit away only when that word is at least
  `RARE_RATIO` times commoner ("joni", a name, 0.8 million in the list -> "join", 174 million); a real word is
  otherwise never "corrected" ("grandma", "zoom", "lottery" stay: they may be the real subject).
Only words of Latin letters: Thai is corrected by faq.py (segments glued back, sound, skeleton).

Thai (`skeleton`): the letters without tone marks, the thanthakhat and the short-vowel marks people leave out on a
phone ("ไลฟไดที่ไหน" for "ไลฟ์ได้ที่ไหน", "วน" for "วัน"): a word the examples do not know whose skeleton is the
skeleton of one word they do know is that word.
"""
from __future__ import annotations

import importlib.resources
from functools import lru_cache
from typing import Iterable

import regex

RARE_RATIO = 100  # a real word is corrected only to an example's word this many times commoner in English
_LATIN_WORD = regex.compile(r"[a-z]+")
# Tone marks (mai ek to mai chattawa), thanthakhat, mai taikhu, mai han-akat, nikhahit... the marks a phone typist
# drops first; the consonants and the spelled vowels stay.
_THAI_MARKS = regex.compile(r"[\u0E31\u0E47-\u0E4E]")

# Chat English, written out (what people type in Messenger; not an event's words).
CHAT = {
    **dict.fromkeys("thx thanx thnx tnx tnks tks thks ty tysm tq thankyou thanku thank-u".split(), "thanks"),
    **dict.fromkeys("wen whn wn".split(), "when"),
    **dict.fromkeys("wat wut wht whut".split(), "what"),
    **dict.fromkeys("sup wassup wazzup whatsup".split(), "hello"),  # "what's up": a greeting, not a question
    **dict.fromkeys("yo hiya heya".split(), "hey"),
    **dict.fromkeys("bc cuz coz bcoz bcuz".split(), "because"),
    **dict.fromkeys("tmr tmrw tmrrw tmw 2moro 2morrow".split(), "tomorrow"),
    **dict.fromkeys("ya yea yeah yep yup".split(), "yes"),
    **dict.fromkeys("nope nah".split(), "no"),
    **dict.fromkeys("k kk okie okey okok".split(), "ok"),
    "whens": "when is", "wheres": "where is", "whats": "what is", "whos": "who is", "hows": "how is",
    "hw": "how", "abt": "about", "rn": "right now", "2day": "today", "ppl": "people", "msg": "message",
    "idk": "i don't know", "dunno": "don't know", "wanna": "want to", "gonna": "going to", "gotta": "have to",
    "lemme": "let me", "gimme": "give me", "im": "i am", "dont": "don't", "cant": "can't", "wont": "won't",
    "didnt": "didn't", "doesnt": "doesn't", "isnt": "isn't", "nvm": "never mind", "btw": "by the way",
    "asap": "as soon as possible", "hv": "have", "b4": "before", "pls": "please", "plz": "please", "u": "you",
    "ur": "your", "r": "are", "cya": "see you", "bday": "birthday", "gr8": "great", "l8r": "later",
}


@lru_cache(maxsize=1)
def english_frequencies() -> dict[str, int]:
    """symspellpy's English frequency list, word -> count (82,765 words; read once per process, ~30 ms)."""
    text = importlib.resources.files("symspellpy").joinpath("frequency_dictionary_en_82_765.txt").read_text("utf-8")
    out = {}
    for line in text.splitlines():
        word, _, count = line.partition(" ")
        if count:
            out[word] = int(count)
    return out


def skeleton(word: str) -> str:
    """A Thai word without the marks a phone typist leaves out ("ได้" -> "ได", "ไลฟ์" -> "ไลฟ", "วัน" -> "วน")."""
    return _THAI_MARKS.sub("", word)


class EnglishSpelling:
    """Built with each content load from the English words its examples use as written (`vocabulary`)."""

    def __init__(self, vocabulary: Iterable[str]):
        from symspellpy import SymSpell  # imported once, when the first content loads

        self.vocabulary = frozenset(w for w in vocabulary if _LATIN_WORD.fullmatch(w))
        self._frequency = english_frequencies()
        self._symspell = SymSpell(max_dictionary_edit_distance=2, prefix_length=7)
        for word in self.vocabulary:
            self._symspell.create_dictionary_entry(word, self._frequency.get(word, 0) + 1)
        self._seen: dict[str, str] = {}  # corrections already made (a look-up is ~0.1-0.5 ms; words come again)

    def correct(self, word: str) -> str:
        """`word` (normalised, lower-case) as the examples would write it: a chat spelling written out (maybe
        several words), a typo corrected; any other word unchanged."""
        if word in CHAT:
            return CHAT[word]
        if word in self.vocabulary or len(word) <= 2 or not _LATIN_WORD.fullmatch(word):
            return word
        if word not in self._seen:
            if len(self._seen) > 10_000:
                self._seen.clear()
            self._seen[word] = self._lookup(word)
        return self._seen[word]

    def forget(self) -> None:
        """Drop the corrections made so far (bench/faq.py times messages never seen before)."""
        self._seen.clear()

    def _lookup(self, word: str) -> str:
        from symspellpy import Verbosity

        own = self._frequency.get(word, 0)
        suggestions = self._symspell.lookup(word, Verbosity.ALL, max_edit_distance=1 if own or len(word) <= 4 else 2)
        if own:  # a real English word: only to a far commoner word of the examples, one edit away
            suggestions = [s for s in suggestions if s.count - 1 >= RARE_RATIO * own]
        if not suggestions:
            return word
        best = min(suggestions, key=lambda s: (s.distance, s.term[0] != word[0], -s.count))
        return best.term
