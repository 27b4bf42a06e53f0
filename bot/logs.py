"""Structured logs: one JSON object a line, secrets scrubbed before anything is written.

Call sites log an event name plus fields: `log.info("outbox.sent", extra={"fields": {...}})` or the
`event()` shortcut. Secrets are removed by a filter on the handler, so even a third-party library that logs a
URL with `access_token=` in it (urllib3 does at DEBUG) cannot leak the Page token.

An error line keeps its cause: `error_type`, `error` (the exception's message) and `exception` (the traceback),
all scrubbed. The same failure repeated (a full disk fails every webhook and every retry) is written once per
REPEAT_INTERVAL with the number of repeats left out, not hundreds of lines a second.
"""
from __future__ import annotations

import json
import logging
import re
import sys
import threading
import time
from typing import Iterable

_TOKEN_PARAM = re.compile(r"(access_token=)[^&\s\"']+")
REPEAT_INTERVAL = 60.0  # seconds: the same warning or error is written at most once in this time
_REPEAT_KEYS_MAX = 2000


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "ts": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created)) + f".{int(record.msecs):03d}Z",
            "level": record.levelname.lower(),
            "logger": record.name,
            "event": record.getMessage(),
        }
        fields = getattr(record, "fields", None)
        if fields:
            entry.update(fields)
        if record.exc_info:
            entry.update(_error_fields(record.exc_info))
            entry["exception"] = self.formatException(record.exc_info)
        elif record.exc_text:  # formatted (and scrubbed) by RedactSecrets
            entry["exception"] = record.exc_text
        return json.dumps(entry, ensure_ascii=False, default=str)


def _error_fields(exc_info) -> dict:
    exc = exc_info[1]
    return {"error_type": type(exc).__name__, "error": str(exc)[:1000]} if exc is not None else {}


class RedactSecrets(logging.Filter):
    """Replaces every known secret, and any `access_token=` value, with `***`."""

    def __init__(self, secrets: Iterable[str]):
        super().__init__()
        self.secrets = sorted({s for s in secrets if s and len(s) >= 4}, key=len, reverse=True)

    def scrub(self, text: str) -> str:
        for secret in self.secrets:
            text = text.replace(secret, "***")
        return _TOKEN_PARAM.sub(r"\1***", text)

    def filter(self, record: logging.LogRecord) -> bool:
        message = self.scrub(record.getMessage())
        record.msg, record.args = message, None
        fields = getattr(record, "fields", None)
        if record.exc_info and record.exc_info[1] is not None:
            # The cause goes into the line's fields (scrubbed below with the others) and the traceback into exc_text.
            fields = {**(fields or {}), **_error_fields(record.exc_info)}
            record.exc_text = self.scrub(logging.Formatter().formatException(record.exc_info))
            record.exc_info = None
        if fields:
            record.fields = {k: self.scrub(v) if isinstance(v, str) else v for k, v in fields.items()}
        return True


class RepeatLimiter(logging.Filter):
    """Writes the same warning or error at most once per `interval` seconds; the next line says how many were left out.

    "The same" is the logger, the event and the error's type and message (for a line with an exception) or the
    event's fields (for one without): a disk that is full fails every webhook and every retry with the same
    error, and that is one line a minute, while two different people's failed messages are two lines.
    """

    def __init__(self, interval: float = REPEAT_INTERVAL):
        super().__init__()
        self.interval = interval
        self._seen: dict[tuple, list] = {}  # key -> [last written at, left out since]
        self._lock = threading.Lock()

    def _key(self, record: logging.LogRecord) -> tuple:
        fields = getattr(record, "fields", None) or {}
        if "error_type" in fields or record.exc_info:
            error = (fields.get("error_type"), fields.get("error")) if "error_type" in fields else \
                tuple(_error_fields(record.exc_info).values())
            return record.name, record.msg, error
        return record.name, record.msg, json.dumps(fields, sort_keys=True, default=str)

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno < logging.WARNING:
            return True
        key, now = self._key(record), time.monotonic()
        with self._lock:
            seen = self._seen.get(key)
            if seen is not None and now - seen[0] < self.interval:
                seen[1] += 1
                return False
            left_out = seen[1] if seen is not None else 0
            if len(self._seen) >= _REPEAT_KEYS_MAX:
                self._seen = {k: v for k, v in self._seen.items() if now - v[0] < self.interval}
            self._seen[key] = [now, 0]
        if left_out:
            record.fields = {**(getattr(record, "fields", None) or {}), "repeated_since_last_line": left_out}
        return True


def configure(level: str, secrets: Iterable[str], stream=None) -> None:
    """Install the JSON handler on the root logger (replacing earlier ones from this function)."""
    root = logging.getLogger()
    for handler in list(root.handlers):
        if getattr(handler, "_opengov", False):
            root.removeHandler(handler)
    handler = logging.StreamHandler(stream or sys.stderr)
    handler._opengov = True  # type: ignore[attr-defined]
    handler.setFormatter(JsonFormatter())
    handler.addFilter(RedactSecrets(secrets))
    handler.addFilter(RepeatLimiter())
    root.addHandler(handler)
    root.setLevel(level)
    # Werkzeug's access log duplicates our request events and urllib3's DEBUG lines carry URLs. APScheduler
    # writes "Running job ..." / "executed successfully" at INFO for every run of every job (the broadcast sweep
    # runs twice a second): 8,343 of 8,513 lines in 20 minutes of `make run`. Their warnings still show.
    for noisy in ("werkzeug", "urllib3", "apscheduler"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, root.level))
    scheduler = logging.getLogger("apscheduler.scheduler")
    if not any(isinstance(f, SkippedWhileRunning) for f in scheduler.filters):
        scheduler.addFilter(SkippedWhileRunning())


class SkippedWhileRunning(logging.Filter):
    """Drop APScheduler's "skipped: maximum number of running instances reached" warning.

    Every job runs one instance at a time on purpose (a sweep that is still sweeping needs no second one beside
    it); on a busy machine the half-second sweeps overrun their interval and APScheduler warns at every tick,
    burying the warnings that matter (a reminder's run time missed)."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "maximum number of running instances reached" not in record.getMessage()


def event(logger: logging.Logger, name: str, level: int = logging.INFO, **fields) -> None:
    """Log one structured event: `event(log, "webhook.stored", events=3)`."""
    if logger.isEnabledFor(level):
        logger.log(level, name, extra={"fields": fields})
