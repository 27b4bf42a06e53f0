"""The understanding step in the running bot: its content loader, and the model's preload.

`load` builds the step from content/faq.toml and intents.toml (a reload in the answering process embeds only the
new examples). `Preloader` is a service of the lease holder: it loads the embedding model and embeds the
examples in a background thread when this process starts answering, so that the first citizen does not wait for
them; web workers, which only acknowledge webhooks, never load the model.
"""
from __future__ import annotations

import hashlib
import logging
import threading
from collections import OrderedDict
from pathlib import Path

from ..logs import event as log_event
from .faq import Faq
from .reading import Understanding, load_intents

log = logging.getLogger(__name__)


# The last few understanding steps built in this process, by what they were built from: the same content files
# give the same step, so a reload that changed neither file (or the next app a test builds) costs nothing, where
# segmenting every example again took 0.4-0.6 s.
_BUILT: OrderedDict[tuple[str, str], Understanding] = OrderedDict()
_BUILT_LOCK = threading.Lock()
KEEP_BUILT = 4


def load(directory: Path, method: str, model_cache: Path | None = None) -> Understanding:
    """The understanding step of content/faq.toml and intents.toml in `directory`, read the `method` way, its
    trained classifier kept in `model_cache` between starts (ContentError for a file that does not validate)."""
    key = (method, fingerprint(directory))
    with _BUILT_LOCK:
        if (built := _BUILT.get(key)) is not None:
            _BUILT.move_to_end(key)
            return built
    understanding = Understanding(Faq.load(directory), load_intents(directory), method=method, model_cache=model_cache)
    if understanding.uses_meaning and understanding.encoder.loaded:
        understanding.prepare()  # a reload in the answering process: only new examples are embedded (ms)
    with _BUILT_LOCK:
        _BUILT[key] = understanding
        while len(_BUILT) > KEEP_BUILT:
            _BUILT.popitem(last=False)
    return understanding


def fingerprint(directory: Path) -> str:
    """What the step is built from: the bytes of faq.toml and intents.toml (missing files count as empty)."""
    digest = hashlib.sha256()
    for name in ("faq.toml", "intents.toml"):
        path = Path(directory) / name
        digest.update(path.read_bytes() if path.is_file() else b"")
        digest.update(b"\0")
    return digest.hexdigest()


class Preloader:
    """Loads the embedding model and embeds the examples in a background thread when this process starts
    answering (it holds the lease), so the first citizen's message does not wait about a second for them."""

    def __init__(self, bot):
        self.bot = bot
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        if self._thread is None or not self._thread.is_alive():
            self._thread = threading.Thread(target=self._run, name="understanding-preload", daemon=True)
            self._thread.start()

    def _run(self) -> None:
        understanding: Understanding = self.bot.content["understanding"]
        if not understanding.uses_meaning:
            return
        try:
            understanding.prepare()
        except Exception:
            log.exception("understanding.preload_failed")
            return
        encoder = understanding.encoder
        log_event(log, "understanding.ready", examples=understanding.examples, model_seconds=encoder.load_seconds,
                  model_rss_mb=encoder.load_rss_mb)

    def stop(self) -> None:
        """Nothing to stop: the thread ends by itself, and what it loaded stays for the next start."""
