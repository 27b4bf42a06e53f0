"""The understanding step in the running bot: its content loader, and the model's preload.

`load` builds the step from content/faq.toml and intents.toml (a reload in the answering process embeds only the
new examples). `Preloader` is a service of the lease holder: it loads the embedding model and embeds the
examples in a background thread when this process starts answering, so that the first citizen does not wait for
them; web workers, which only acknowledge webhooks, never load the model.
"""
from __future__ import annotations

import logging
import threading
from pathlib import Path

from ..logs import event as log_event
from .faq import Faq
from .reading import Understanding, load_intents

log = logging.getLogger(__name__)


def load(directory: Path, method: str) -> Understanding:
    understanding = Understanding(Faq.load(directory), load_intents(directory), method=method)
    if understanding.uses_meaning and understanding.encoder.loaded:
        understanding.prepare()  # a reload in the answering process: only new examples are embedded (ms)
    return understanding


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
