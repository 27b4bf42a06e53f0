"""Structured logs: one JSON object a line, secrets scrubbed before anything is written.

Call sites log an event name plus fields: `log.info("outbox.sent", extra={"fields": {...}})` or the
`event()` shortcut. Secrets are removed by a filter on the handler, so even a third-party library that logs a
URL with `access_token=` in it (urllib3 does at DEBUG) cannot leak the Page token.
"""
from __future__ import annotations

import json
import logging
import re
import sys
import time
from typing import Iterable

_TOKEN_PARAM = re.compile(r"(access_token=)[^&\s\"']+")


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
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


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
        if fields:
            record.fields = {k: self.scrub(v) if isinstance(v, str) else v for k, v in fields.items()}
        if record.exc_info and not record.exc_text:
            record.exc_text = self.scrub(logging.Formatter().formatException(record.exc_info))
            record.exc_info = None
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
    root.addHandler(handler)
    root.setLevel(level)
    # Werkzeug's access log duplicates our request events and urllib3's DEBUG lines carry URLs.
    logging.getLogger("werkzeug").setLevel(max(logging.WARNING, root.level))
    logging.getLogger("urllib3").setLevel(max(logging.WARNING, root.level))


def event(logger: logging.Logger, name: str, level: int = logging.INFO, **fields) -> None:
    """Log one structured event: `event(log, "webhook.stored", events=3)`."""
    if logger.isEnabledFor(level):
        logger.log(level, name, extra={"fields": fields})
