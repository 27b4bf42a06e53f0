"""Event content that organisers edit by hand (TOML in `content/`): loaded, validated, reloadable.

A broken file never half-loads: loading raises `ContentError` naming the file, the entry and the reason, and
a reload that fails keeps the content that was already live.
"""
from __future__ import annotations

import logging
import string
import threading
import time
import tomllib
from pathlib import Path
from typing import Any, Callable

from .logs import event as log_event

LANGUAGES = ("th", "en")
VERSION_KEY = "content_version"  # runtime_state: the content version every answering process should load
log = logging.getLogger(__name__)


class ContentError(ValueError):
    def __init__(self, file: Path | str, entry: str | None, reason: str):
        self.file, self.entry, self.reason = str(file), entry, reason
        where = f"{file}" + (f", entry {entry!r}" if entry else "")
        super().__init__(f"{where}: {reason}")


def read_toml(path: Path) -> dict[str, Any]:
    try:
        with open(path, "rb") as fh:
            return tomllib.load(fh)
    except FileNotFoundError:
        raise ContentError(path, None, "file not found") from None
    except tomllib.TOMLDecodeError as exc:
        raise ContentError(path, None, f"not valid TOML: {exc}") from None


def keyed_tables(path: Path, data: dict[str, Any], table: str, id_pattern, id_rule: str):
    """The `[[table]]` items of a content file, each with its id checked against `id_pattern` and unique."""
    raw = data.get(table)
    if not isinstance(raw, list) or not raw:
        raise ContentError(path, None, f"no [[{table}]] tables")
    seen: set[str] = set()
    for position, item in enumerate(raw, 1):
        if not isinstance(item, dict):
            raise ContentError(path, f"#{position}", f"each [[{table}]] must be a table")
        item_id = item.get("id")
        if not isinstance(item_id, str) or not id_pattern.match(item_id):
            raise ContentError(path, f"#{position}", f"id must be {id_rule}")
        if item_id in seen:
            raise ContentError(path, item_id, "duplicate id")
        seen.add(item_id)
        yield item_id, item


def bilingual(path: Path, entry: str, value: Any, what: str, *, required: bool = True) -> dict[str, str]:
    """A {th, en} table of non-empty strings; both languages are required (Thai first, English second)."""
    if value is None and not required:
        return {}
    if not isinstance(value, dict):
        raise ContentError(path, entry, f"{what} must be a table with th and en")
    out = {}
    for lang in LANGUAGES:
        text = value.get(lang)
        if not isinstance(text, str) or not text.strip():
            raise ContentError(path, entry, f"{what}.{lang} is missing or empty")
        out[lang] = text.strip()
    return out


def example_lists(path: Path, entry: str, value: Any, what: str) -> dict[str, tuple[str, ...]]:
    """A {th = [...], en = [...]} table of example sentences, both lists non-empty (FAQ questions, intents)."""
    if not isinstance(value, dict):
        raise ContentError(path, entry, f"{what} must be a table with th and en lists")
    out: dict[str, tuple[str, ...]] = {}
    for lang in LANGUAGES:
        listed = value.get(lang)
        if not isinstance(listed, list) or not listed or not all(isinstance(q, str) and q.strip() for q in listed):
            raise ContentError(path, entry, f"{what}.{lang} must be a non-empty list of questions")
        out[lang] = tuple(q.strip() for q in listed)
    return out


def button_title(path: Path, entry: str, value: Any, limit: int, units: Callable[[str], int]) -> dict[str, str]:
    """A {th, en} title that fits a Messenger button of `limit` units (counted by `units`)."""
    title = bilingual(path, entry, value, "title")
    for lang, words in title.items():
        if units(words) > limit:
            raise ContentError(path, entry, f"title.{lang} is over {limit} characters (Messenger would cut it on the button)")
    return title


class Texts:
    """The bot's own sentences (greeting, fallback, errors) in Thai and English."""

    def __init__(self, entries: dict[str, dict[str, str]]):
        self.entries = entries

    @classmethod
    def load(cls, path: Path, required: frozenset[str] = frozenset()) -> "Texts":
        data = read_toml(path)
        entries: dict[str, dict[str, str]] = {}
        for key, value in data.items():
            entries[key] = bilingual(path, key, value, "text")
            for lang, text in entries[key].items():
                try:  # placeholders must be plain names: {name}, never {0} or {x.attr}
                    for _, name, _, _ in string.Formatter().parse(text):
                        if name is not None and not name.isidentifier():
                            raise ValueError(f"placeholder {{{name}}}")
                except ValueError as exc:
                    raise ContentError(path, key, f"{lang}: bad placeholder ({exc})") from None
        missing = sorted(required - entries.keys())
        if missing:
            raise ContentError(path, missing[0], "required text is missing")
        return cls(entries)

    def raw(self, key: str, lang: str) -> str:
        """The text as written, placeholders untouched (Facebook's own {{user_first_name}} for example)."""
        entry = self.entries.get(key)
        if entry is None:
            raise KeyError(f"no text {key!r} in texts.toml")
        return entry.get(lang) or entry["th"]

    def get(self, key: str, lang: str, **values: Any) -> str:
        template = self.raw(key, lang)
        return template.format_map(_Blank(values)) if "{" in template else template


class _Blank(dict):
    """Unknown placeholders render empty instead of raising mid-conversation."""

    def __missing__(self, key: str) -> str:
        return ""


class Content:
    """The live content, swapped whole on reload. Feature modules add their own loaders."""

    def __init__(self, directory: Path):
        self.directory = Path(directory)
        self._lock = threading.Lock()
        # One load at a time in a process: `reload-content` loads in its thread while the answering threads'
        # `refresh` may load the version announced a moment before, and the loaders (the FAQ index, the
        # classifier's training, PyThaiNLP's segmenters) are not safe to run twice at once (seen: IndexError
        # under load).
        self._loading = threading.Lock()
        self._loaders: dict[str, Callable[[Path], Any]] = {}
        self._required_texts: set[str] = set()
        self._current: dict[str, Any] = {}
        self.version: str | None = None  # the reload-content version this process has loaded

    def require_texts(self, *keys: str) -> None:
        self._required_texts.update(keys)

    def add_loader(self, name: str, loader: Callable[[Path], Any]) -> None:
        """`loader(directory)` returns the parsed content or raises ContentError."""
        self._loaders[name] = loader

    def load(self) -> None:
        """Load everything; on any error raise and keep what was live before."""
        with self._loading:
            required = frozenset(self._required_texts)
            new: dict[str, Any] = {"texts": Texts.load(self.directory / "texts.toml", required)}
            for name, loader in self._loaders.items():
                new[name] = loader(self.directory)
            with self._lock:
                self._current = new

    # -- reloading in every process ----------------------------------------------------------------------------
    @staticmethod
    def publish(store) -> str:
        """Announce that the files changed (after checking them here): the processes that answer load them within
        a second (`refresh`). Returns the new version."""
        version = f"{time.time():.6f}"
        store.set_state(VERSION_KEY, version)
        return version

    @staticmethod
    def announced(store) -> str | None:
        return store.get_state(VERSION_KEY)

    def refresh(self, store) -> None:
        """Load the content when a new version was announced (the inbox's fetcher asks every second); a broken
        file keeps what was live and says why once."""
        wanted = self.announced(store)
        if wanted == self.version:
            return
        try:
            self.load()
            log_event(log, "content.reloaded", version=wanted)
        except Exception as exc:  # keep serving what was live; say why once
            log_event(log, "content.reload_failed", logging.ERROR, version=wanted, error=str(exc))
        self.version = wanted

    def loaded(self) -> dict[str, Any]:
        return dict(self._current)

    def __getitem__(self, name: str) -> Any:
        return self._current[name]

    @property
    def texts(self) -> Texts:
        return self._current["texts"]
