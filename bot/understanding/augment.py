"""Training-time variants of the Thai examples, typed the way people type them on a phone (the classifier learns
from them beside the examples: intent_classifier.Settings.augment).

For each Thai example, up to three variants:
- its skeleton: the tone marks, thanthakhat and short-vowel marks left out ("ดูไลฟ์ได้ที่ไหน" -> "ดูไลฟไดทีไหน");
- one letter typed with its neighbour on the Kedmanee keyboard (TIS 820-2538, from PyThaiNLP's layout and key
  distance), a letter chosen by a seeded generator (the same content trains the same model);
- a polite particle added at the end ("ค่ะ", "ครับ", "คับ", "จ้า", "อ่ะ", "นะ", "หน่อย"), as people end questions.
Stretched letters ("มากกกก") need no variant: textnorm folds them before anything reads a message.
"""
from __future__ import annotations

import random
import zlib
from functools import lru_cache

from pythainlp.util.keyboard import TIS_820_2531_MOD, TIS_820_2531_MOD_SHIFT, thai_keyboard_dist

from .spelling import skeleton

PARTICLES = ("ค่ะ", "ครับ", "คับ", "จ้า", "อ่ะ", "นะ", "หน่อย", "คะ")


@lru_cache(maxsize=1)
def neighbours() -> dict[str, tuple[str, ...]]:
    """Each Thai letter -> the letters on the keys beside it (same shift state, one key away)."""
    out = {}
    for layout in (TIS_820_2531_MOD, TIS_820_2531_MOD_SHIFT):
        keys = [k for row in layout for k in row if k and "\u0e01" <= k <= "\u0e2e"]  # consonants only
        for key in keys:
            near = tuple(other for other in keys if other != key and thai_keyboard_dist(key, other) <= 1.0)
            if near:
                out[key] = near
    return out


def variants(text: str) -> list[str]:
    """The Thai example's variants (see the module's doc); none for a text without Thai letters."""
    if not any("\u0e00" <= ch <= "\u0e7f" for ch in text):
        return []
    rng = random.Random(zlib.crc32(text.encode()))
    out = []
    bare = skeleton(text)
    if bare != text:
        out.append(bare)
    near = neighbours()
    positions = [i for i, ch in enumerate(text) if ch in near]
    if positions:
        i = rng.choice(positions)
        out.append(text[:i] + rng.choice(near[text[i]]) + text[i + 1:])
    out.append(text.rstrip() + rng.choice(PARTICLES))
    return out
