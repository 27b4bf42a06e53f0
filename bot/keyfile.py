"""Secrets the bot makes for itself once and keeps in a file beside the database (mode 0600).

Used when the operator did not set the secret in the environment: the console's cookie key
(CONSOLE_SECRET_KEY, instance/console.key) and the key of pseudonymous voter keys (PSEUDONYM_KEY,
instance/pseudonym.key). Every process of one deployment (gunicorn workers, the runner, `flask` commands)
reads the same file, and the first one to start creates it (O_EXCL, so two starting at once agree).
"""
from __future__ import annotations

import os
import secrets
from pathlib import Path


def kept_secret(path: Path) -> str:
    """The secret in `path`, made (32 random bytes, hex) if the file does not exist yet."""
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text().strip()
    with os.fdopen(fd, "w") as fh:
        fh.write(secrets.token_hex(32))
    return path.read_text().strip()
