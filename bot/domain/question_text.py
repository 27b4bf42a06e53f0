"""What a moderator wants to know about a question's words: rude words, whether it names someone, which earlier
questions say the same thing, and stream times as moderators type them. No table: questions.py owns the data.

- Rude words: PyThaiNLP's maintained Thai profanity list (`pythainlp.corpus.common.thai_profanity_words`, matched
  on whole words after its word segmentation, so "กูเกิล" is not "กู") plus the short English list in
  content/rude_words_en.txt. A flag for the moderators, never a block: the pronoun "มึง" among friends is not abuse.
- Names: a question names someone when it holds the name its asker chose to show, a Thai or English honorific
  followed by a name ("คุณสมชาย", "Mr Smith"), an e-mail address or a phone number. Erasure keeps an approved
  question's text only when it names no one.
- Near-duplicates: the understanding step's sentence encoder (bot/understanding/embedding.py, multilingual, so
  a Thai question and its English translation are close); two questions at cosine >= DUPLICATE_SIMILARITY are
  suggested for a merge (bench/questions_duplicates.py measures the threshold's precision and recall).
"""
from __future__ import annotations

import functools
import re
from pathlib import Path

from pythainlp.corpus.common import thai_profanity_words
from pythainlp.tokenize import word_tokenize

MIN_LENGTH, MAX_LENGTH = 10, 300  # characters of a question
DUPLICATE_SIMILARITY = 0.65  # precision 0.80, recall 0.50 on bench/question_pairs.tsv (bench/questions_duplicates.py)
ENGLISH_LIST = Path(__file__).resolve().parents[2] / "content" / "rude_words_en.txt"
HONORIFIC = re.compile(r"(?:คุณ|นาย|นางสาว|นาง|น\.ส\.|ด\.ช\.|ด\.ญ\.|น้อง|(?<![a-z])(?:mr|mrs|ms|miss|dr)\.?\s+[A-Z])",
                       re.IGNORECASE)
CONTACT = re.compile(r"[\w.+-]+@[\w-]+\.[\w.]+|(?:\+?66|0)[\s-]?\d(?:[\s-]?\d){7,8}")
STREAM_TIME = re.compile(r"^(?:(\d{1,2}):)?([0-5]?\d):([0-5]\d)$")


@functools.lru_cache(maxsize=1)
def _lists() -> tuple[frozenset[str], frozenset[str]]:
    english = frozenset(line.strip().lower() for line in ENGLISH_LIST.read_text(encoding="utf-8").splitlines()
                        if line.strip() and not line.startswith("#")) if ENGLISH_LIST.exists() else frozenset()
    return frozenset(thai_profanity_words()), english


def valid_text(text: str) -> str | None:
    """The question as kept (spaces tidied), or None when it is not 10 to 300 characters with some letters."""
    words = " ".join((text or "").split())
    if not (MIN_LENGTH <= len(words) <= MAX_LENGTH) or sum(ch.isalpha() for ch in words) < 3:
        return None
    return words


def rude_words(text: str) -> list[str]:
    """The rude words in `text`, each once, in order of appearance."""
    thai, english = _lists()
    found = []
    for word in word_tokenize(text.lower(), engine="newmm", keep_whitespace=False):
        for token in re.findall(r"[a-z']+", word) if word.isascii() else [word]:
            if (token in thai or token in english) and token not in found:
                found.append(token)
    return found


def names_someone(text: str, names: list[str] = ()) -> bool:
    """Whether `text` names a person (see the module docstring): `names` are the asker's own."""
    if CONTACT.search(text) or HONORIFIC.search(text):
        return True
    lowered = text.lower()
    return any(name and len(name) >= 2 and name.lower() in lowered for name in names)


def stream_time(value: str | None) -> str | None:
    """"1:02:30", "02:30", "2:30" -> "1:02:30", "2:30"; None when it is not a time in the stream."""
    match = STREAM_TIME.match((value or "").strip())
    if not match:
        return None
    hours, minutes, seconds = match.groups()
    return f"{int(hours)}:{int(minutes):02d}:{seconds}" if hours else f"{int(minutes)}:{seconds}"


def similar_pairs(texts: dict[int, str], threshold: float = DUPLICATE_SIMILARITY) -> list[tuple[int, int, float]]:
    """(newer id, older id, similarity) for every pair of questions at or over `threshold`, the newer question
    paired with its closest older one only, the most similar first."""
    if len(texts) < 2:
        return []
    from ..understanding.embedding import ENCODER

    ids = sorted(texts)
    vectors = ENCODER.encode([texts[i] for i in ids])
    scores = vectors @ vectors.T
    pairs = []
    for row in range(1, len(ids)):
        best = int(scores[row, :row].argmax())
        if scores[row, best] >= threshold:
            pairs.append((ids[row], ids[best], round(float(scores[row, best]), 3)))
    return sorted(pairs, key=lambda p: -p[2])
