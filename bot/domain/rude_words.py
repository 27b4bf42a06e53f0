"""Rude words in what people write for others to read (opinion statements, questions for the speakers): found and
shown to moderators as a flag, never silently dropped (a moderator decides; a strong word is sometimes the point).

Thai is written without spaces, so a Thai rude word is looked for as a whole word of PyThaiNLP's segmentation
(the FAQ's tokenizer, bot/textnorm.py), not as a substring: "หีบ" (a box) is not "หี", "สัสดี" (a sloppy
"สวัสดี") is not flagged for "สัส". Latin-script words match whole words, case-insensitive, with common
letter-stretching and leetspeak folded ("fuuuck", "sh1t").
"""
from __future__ import annotations

import re

from .. import textnorm

THAI = frozenset({
    "ควย", "เหี้ย", "เหี้ยๆ", "สัส", "สัด", "สัตว์นรก", "ไอ้สัตว์", "อีสัตว์", "เย็ด", "หี", "แตด", "ส้นตีน", "ตีน", "ชิบหาย",
    "พ่อมึงตาย", "แม่มึงตาย", "ระยำ", "จัญไร", "อีดอก", "ดอกทอง", "กะหรี่", "ไอ้เวร", "เวรตะไล", "มึง", "ไอ้ควาย", "ควาย",
    "แม่ง", "โง่", "ไอ้โง่", "อีโง่", "สถุน", "เลว", "ขี้ข้า",
})
LATIN = frozenset({
    "fuck", "fucking", "fucked", "fucker", "motherfucker", "shit", "shitty", "bullshit", "bitch", "bastard", "asshole",
    "dick", "cunt", "wanker", "idiot", "idiots", "stupid", "moron", "morons", "retard", "retarded", "slut", "whore",
    "wtf", "stfu",
})
_LEET = str.maketrans("013457@$", "oieastas")
_LATIN_WORD = re.compile(r"[a-z0-9@$]+")


def _folded(word: str) -> str:
    """Repeated letters as one ("fuuuck" -> "fuck", "shitty" -> "shity"): compared with the list folded alike."""
    return re.sub(r"(.)\1+", r"\1", word)


_LATIN_FOLDED = frozenset(_folded(w) for w in LATIN)


def find_rude_words(text: str) -> list[str]:
    """The rude words in `text`, in the order they appear, each once (empty: none found)."""
    found: list[str] = []
    for word in _LATIN_WORD.findall(text.lower()):
        if any(c in LATIN or _folded(c) in _LATIN_FOLDED for c in (word, word.translate(_LEET))):
            found.append(word)
    found += [token for token in textnorm.tokens(text) if token in THAI]
    return list(dict.fromkeys(found))
