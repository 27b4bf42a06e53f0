"""Organisers' edits to content/ from the console: a missed question becomes an example, or starts an FAQ entry.

The files stay readable TOML under version control, as if edited by hand: tomlkit changes them in place (comments,
order and layout kept; in a list written over several lines the new example gets its own line), and a new entry
is appended in the same layout as the hand-written ones. `git diff content/` shows exactly what was added.

Several moderators (and several web workers) may save at once, and an organiser may be editing the file by hand:
one edit at a time across processes (an flock on content/.edit.lock), each reading the file as it is at that
moment; the file is replaced atomically (a reader never sees half a file); and the whole content is loaded and
validated (`validate`) before the change is kept: an edit that would break it is undone and refused with the
reason, and the bot keeps what it had.
"""
from __future__ import annotations

import fcntl
import os
import re
from contextlib import contextmanager
from pathlib import Path
from typing import Callable, Iterator

import tomlkit

from ..content import ContentError
from ..understanding.faq import ID, OUT_OF_SCOPE
from ..understanding import INTENT_MARK

FAQ_FILE, INTENTS_FILE, LOCK_FILE = "faq.toml", "intents.toml", ".edit.lock"


class EditError(ValueError):
    """The edit was refused (the reason is for the moderator); nothing was changed."""


@contextmanager
def _locked(directory: Path) -> Iterator[None]:
    with open(directory / LOCK_FILE, "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _replace(path: Path, text: str) -> None:
    """Write `text` to `path` atomically (same directory, then rename), keeping the file's permissions."""
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    temporary.write_text(text, encoding="utf-8")
    if path.exists():
        os.chmod(temporary, path.stat().st_mode & 0o777)
    os.replace(temporary, path)


def _commit(path: Path, old: str, new: str, validate: Callable[[], None]) -> None:
    """Keep `new` only if the whole content still loads; otherwise put `old` back and refuse."""
    _replace(path, new)
    try:
        validate()
    except ContentError as exc:
        _replace(path, old)
        raise EditError(f"not saved: {exc}") from None


def _same(a: str, b: str) -> bool:
    return " ".join(a.split()).casefold() == " ".join(b.split()).casefold()


def add_example(directory: Path, label: str, question: str, lang: str, validate: Callable[[], None]) -> Path:
    """Add `question` to the examples of `label` (an FAQ entry's id, "@intent", or out_of_scope) in `lang`
    (th or en). Returns the file changed. Raises EditError (unknown label, already there, content broken)."""
    question = " ".join(question.split())
    if not question or len(question) > 300:
        raise EditError("the question must be 1 to 300 characters")
    if lang not in ("th", "en"):
        raise EditError("the language must be th or en")
    directory = Path(directory)
    path = directory / (INTENTS_FILE if label.startswith(INTENT_MARK) else FAQ_FILE)
    with _locked(directory):
        old = path.read_text(encoding="utf-8")
        doc = tomlkit.parse(old)
        if label == OUT_OF_SCOPE:
            examples = doc.get(OUT_OF_SCOPE, {}).get("questions")
        elif label.startswith(INTENT_MARK):
            item = next((i for i in doc.get("intent", []) if i.get("id") == label[len(INTENT_MARK):]), None)
            examples = item["examples"][lang] if item is not None else None
        else:
            item = next((e for e in doc.get("entry", []) if e.get("id") == label), None)
            examples = item["questions"][lang] if item is not None else None
        if examples is None:
            raise EditError(f"{label!r} is not in {path.name}")
        if any(_same(question, str(q)) for q in examples):
            raise EditError(f"{question!r} is already an example of {label!r}")
        if "\n" in examples.as_string():  # written one group per line: the new one on a line of its own
            examples.add_line(question, indent="  ")
        else:
            examples.append(question)
        _commit(path, old, tomlkit.dumps(doc), validate)
    return path


def _value(text: str) -> str:
    """`text` as a TOML string, escaped (a triple-quoted one when it has several lines)."""
    return tomlkit.string(text, multiline="\n" in text).as_string()


def add_entry(directory: Path, entry_id: str, title: dict[str, str], answer: dict[str, str], question: str, lang: str,
              validate: Callable[[], None]) -> Path:
    """Append a new FAQ entry to faq.toml: `question` is its first example in `lang`; the title is its example
    in the other language (titles count as examples). Raises EditError with the reason when refused."""
    entry_id = entry_id.strip().lower()
    if not ID.match(entry_id):
        raise EditError("the id must be lower-case words joined by _ (for example: parking_info)")
    question = " ".join(question.split())
    if not question:
        raise EditError("the question is empty")
    questions = {"th": [title.get("th", "").strip()], "en": [title.get("en", "").strip()]}
    questions[lang] = [question]
    directory = Path(directory)
    path = directory / FAQ_FILE
    with _locked(directory):
        old = path.read_text(encoding="utf-8")
        if re.search(rf'^id = "{re.escape(entry_id)}"', old, re.MULTILINE):
            raise EditError(f"an entry {entry_id!r} already exists")
        block = "\n".join([
            "", "[[entry]]",
            f"id = {_value(entry_id)}",
            f"title = {{ th = {_value(title.get('th', '').strip())}, en = {_value(title.get('en', '').strip())} }}",
            *(f"questions.{k} = [{', '.join(_value(q) for q in questions[k] if q)}]" for k in ("th", "en")),
            *(f"answer.{k} = {_value(answer.get(k, '').strip())}" for k in ("th", "en")),
            "",
        ])
        _commit(path, old, old.rstrip("\n") + "\n" + block, validate)
    return path


def targets(understanding) -> list[tuple[str, str]]:
    """(label, what a moderator reads) for every place a question can go: an FAQ entry, a feature, out of scope."""
    items = [(e.id, f"FAQ: {e.title['th']} / {e.title['en']}") for e in understanding.faq.entries.values()]
    items += [(INTENT_MARK + i.id, f"ฟีเจอร์ / Feature: {i.title['th']} / {i.title['en']}")
              for i in understanding.intents.values()]
    items.append((OUT_OF_SCOPE, "ไม่เกี่ยวกับงาน (บอทปฏิเสธ) / Not about the event (declined)"))
    return items
