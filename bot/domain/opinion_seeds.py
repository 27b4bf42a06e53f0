"""Seed statements for opinion rounds, one set per topic of the event: content organisers edit
(content/opinions.toml), loaded and checked with the rest of the content (a broken file never half-loads).

    [[topic]]
    topic = "1"                                   # one of the event's topics (bot/domain/agenda.py TOPICS)
    title = { th = "...", en = "..." }            # the round's question
    statements = [ { th = "...", en = "..." }, ... ]   # 10 to 140 characters in each language

`flask --app app opinions create --topic 1` makes a round from a topic's set (the console too).
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ..content import ContentError, bilingual, read_toml
from .agenda import TOPICS
from .opinions import MAX_CHARS, MIN_CHARS

FILE = "opinions.toml"


@dataclass(frozen=True)
class SeedSet:
    topic: str
    title: dict[str, str]
    statements: tuple[dict[str, str], ...]


def load(directory: Path) -> dict[str, SeedSet]:
    """{topic: SeedSet}; raises ContentError naming the file, the topic and the statement that is wrong. A content
    directory without the file has no seeds (rounds are then written by moderators)."""
    path = directory / FILE
    if not path.exists():
        return {}
    data = read_toml(path)
    sets: dict[str, SeedSet] = {}
    for position, item in enumerate(data.get("topic", []), 1):
        topic = item.get("topic") if isinstance(item, dict) else None
        if topic not in TOPICS:
            raise ContentError(path, f"#{position}", f"topic must be one of {', '.join(TOPICS)}")
        if topic in sets:
            raise ContentError(path, topic, "a topic is listed twice")
        title = bilingual(path, topic, item.get("title"), "title")
        raw = item.get("statements")
        if not isinstance(raw, list) or not raw:
            raise ContentError(path, topic, "statements must be a non-empty list of {th, en}")
        statements = []
        for number, value in enumerate(raw, 1):
            text = bilingual(path, f"{topic} statement {number}", value, "statement")
            for lang, words in text.items():
                if not (MIN_CHARS <= len(" ".join(words.split())) <= MAX_CHARS):
                    raise ContentError(path, f"{topic} statement {number}",
                                       f"{lang} must be {MIN_CHARS} to {MAX_CHARS} characters, has {len(words)}")
            statements.append(text)
        sets[topic] = SeedSet(topic, title, tuple(statements))
    return sets
