"""Settings: read once from the environment (and `.env`), validated, immutable.

Why a frozen dataclass rather than `app.config` lookups everywhere: every setting is checked at start, so a
typo in production stops the process with one line naming the setting, instead of failing on the first
webhook at 3 a.m. during a live stream.
"""
from __future__ import annotations

import math
import os
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Mapping
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from dotenv import dotenv_values

DEFAULT_GRAPH_API_URL = "https://graph.facebook.com/v25.0"
LOCAL_APP_SECRET = "local-app-secret"
LOCAL_VERIFY_TOKEN = "local-verify-token"
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
UNDERSTANDING_METHODS = ("hybrid", "lexical", "embedding", "blend")


class ConfigError(ValueError):
    """A setting is missing or malformed; the message is one line that names it."""


@dataclass(frozen=True)
class Settings:
    page_access_token: str | None = None
    app_secret: str = LOCAL_APP_SECRET
    verify_token: str = LOCAL_VERIFY_TOKEN
    graph_api_url: str = DEFAULT_GRAPH_API_URL
    # The Page's id. Without it the runner asks Facebook (GET /me) at start. Events for another Page subscribed to
    # the same app, and what the Page itself does (its comments, replies, reactions), are never answered.
    page_id: str | None = None
    database_path: Path = Path("instance/bot.sqlite3")
    moderator_psids: frozenset[str] = field(default_factory=frozenset)
    timezone: str = "Asia/Bangkok"
    send_rate: float = 250.0
    host: str = "127.0.0.1"
    port: int = 5000
    log_level: str = "INFO"
    content_dir: Path = Path("content")
    public_url: str = ""  # where people reach the bot over the web (calendar links); default http://HOST:PORT
    console_secret_key: str | None = None  # signs console sessions; default: a key kept in instance/console.key
    registration_capacity: int = 0  # 0: no limit; past it, people join a waitlist
    reminder_offsets: tuple[float, ...] = (30.0, 5.0)  # minutes before a session; "live now" is sent at the start
    comment_keywords: tuple[str, ...] = ("ลงทะเบียน", "สมัคร", "register")
    # Reverse proxies in front of the app (nginx, a load balancer): their X-Forwarded-For/-Proto are trusted, so
    # log-in limits and the audit log see the person's address, not the proxy's. 0: none (the default).
    trusted_proxies: int = 0
    # Personal data: kept at most this many days (the consent text promises "at most 1 year"), then purged.
    retention_days: int = 365
    # Key of the one-way pseudonymous keys votes are counted by (bot/privacy.py); default: instance/pseudonym.key.
    pseudonym_key: str | None = None
    # A console session with no click for this long ends (a page refreshing itself does not count).
    console_idle_minutes: float = 30.0
    # How free text is understood: hybrid (words and meaning, the default), lexical (words only: no embedding
    # model is loaded, ~100 MB less memory), embedding (meaning only; for comparison).
    understanding: str = "hybrid"
    # Where the trained classifier is kept between starts, by the hash of what it learns from (None: nowhere;
    # every start trains again, 5-15 s). Writable by the bot only, like its database: the files are pickles.
    model_cache_dir: Path | None = Path("instance/model-cache")
    # Advanced tuning; the defaults suit one Page on a 2-core machine.
    inbox_workers: int = 4
    send_concurrency: int = 0  # 0: derived from send_rate so the rate holds at Facebook's 300 ms latency
    token_recheck_seconds: float = 30.0
    graph_timeout_seconds: float = 10.0

    @property
    def local_mode(self) -> bool:
        """No Page token: run against the fake Graph API the project ships."""
        return not self.page_access_token

    @property
    def base_url(self) -> str:
        return self.public_url or f"http://{self.host}:{self.port}"

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def effective_send_concurrency(self) -> int:
        if self.send_concurrency > 0:
            return self.send_concurrency
        # Little's law: in flight = rate x latency. 0.4 s covers Facebook's 100-300 ms with headroom.
        return max(4, min(256, math.ceil(self.send_rate * 0.4)))

    def secrets(self) -> list[str]:
        """Values that must never appear in a log line."""
        return [s for s in (self.page_access_token, self.app_secret, self.verify_token, self.console_secret_key,
                            self.pseudonym_key) if s]

    def with_overrides(self, **changes) -> "Settings":
        return replace(self, **changes)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, dotenv_path: str | os.PathLike | None = ".env") -> "Settings":
        """Build settings from `environ` (default `os.environ`) over the values in `.env`.

        The process environment wins over `.env`, as in twelve-factor deployments.
        """
        values: dict[str, str] = {}
        if dotenv_path and Path(dotenv_path).is_file():
            values.update({k: v for k, v in dotenv_values(dotenv_path).items() if v is not None})
        values.update(os.environ if environ is None else environ)
        return cls.from_mapping(values)

    @classmethod
    def from_mapping(cls, values: Mapping[str, str]) -> "Settings":
        def get(name: str) -> str | None:
            raw = values.get(name)
            if raw is None:
                return None
            raw = raw.strip()
            return raw or None

        token = get("PAGE_ACCESS_TOKEN")
        app_secret = get("APP_SECRET")
        verify_token = get("VERIFY_TOKEN")
        if token:
            if not app_secret:
                raise ConfigError("APP_SECRET is required when PAGE_ACCESS_TOKEN is set: webhooks cannot be verified without it")
            if not verify_token:
                raise ConfigError("VERIFY_TOKEN is required when PAGE_ACCESS_TOKEN is set: Facebook's webhook handshake needs it")

        graph = get("GRAPH_API_URL") or DEFAULT_GRAPH_API_URL
        if not graph.startswith(("http://", "https://")):
            raise ConfigError(f"GRAPH_API_URL must be an http(s) URL, got {graph!r}")

        tz = get("TIMEZONE") or "Asia/Bangkok"
        try:
            ZoneInfo(tz)
        except (ZoneInfoNotFoundError, ValueError):
            raise ConfigError(f"TIMEZONE {tz!r} is not a known IANA time zone (for example Asia/Bangkok)") from None

        level = (get("LOG_LEVEL") or "INFO").upper()
        if level not in LOG_LEVELS:
            raise ConfigError(f"LOG_LEVEL must be one of {', '.join(LOG_LEVELS)}, got {level!r}")

        page_id = get("PAGE_ID")
        if page_id is not None and not (page_id.isascii() and page_id.isdigit() and len(page_id) <= 20):
            raise ConfigError(f"PAGE_ID must be the Page's numeric id (Page > About > Page transparency), got {page_id!r}")

        moderators = frozenset(p.strip() for p in (get("MODERATOR_PSIDS") or "").split(",") if p.strip())
        bad = [p for p in moderators if not p.isdigit()]
        if bad:
            raise ConfigError(f"MODERATOR_PSIDS must be comma-separated numeric PSIDs, got {bad[0]!r}")

        understanding = (get("UNDERSTANDING") or "hybrid").lower()
        if understanding not in UNDERSTANDING_METHODS:
            raise ConfigError(f"UNDERSTANDING must be one of {', '.join(UNDERSTANDING_METHODS)}, got {understanding!r}")

        return cls(
            page_access_token=token,
            app_secret=app_secret or LOCAL_APP_SECRET,
            verify_token=verify_token or LOCAL_VERIFY_TOKEN,
            graph_api_url=graph.rstrip("/"),
            page_id=page_id,
            database_path=Path(get("DATABASE_PATH") or "instance/bot.sqlite3"),
            moderator_psids=moderators,
            timezone=tz,
            send_rate=_number(get, "SEND_RATE", 250.0, minimum=0.1, maximum=10_000),
            host=get("HOST") or "127.0.0.1",
            port=int(_number(get, "PORT", 5000, minimum=0, maximum=65535, integer=True)),
            log_level=level,
            content_dir=Path(get("CONTENT_DIR") or "content"),
            public_url=(get("PUBLIC_URL") or "").rstrip("/"),
            console_secret_key=get("CONSOLE_SECRET_KEY"),
            reminder_offsets=_offsets(get("REMINDER_OFFSETS")),
            registration_capacity=int(_number(get, "REGISTRATION_CAPACITY", 0, minimum=0, maximum=10_000_000, integer=True)),
            trusted_proxies=int(_number(get, "TRUSTED_PROXIES", 0, minimum=0, maximum=5, integer=True)),
            retention_days=int(_number(get, "RETENTION_DAYS", 365, minimum=1, maximum=3650, integer=True)),
            pseudonym_key=get("PSEUDONYM_KEY"),
            model_cache_dir=None if (get("MODEL_CACHE_DIR") or "").lower() in ("off", "none") else Path(
                get("MODEL_CACHE_DIR") or "instance/model-cache"),
            console_idle_minutes=_number(get, "CONSOLE_IDLE_MINUTES", 30.0, minimum=1, maximum=720),
            understanding=understanding,
            comment_keywords=tuple(k.strip().lower() for k in (get("COMMENT_KEYWORDS") or "ลงทะเบียน,สมัคร,register").split(",")
                                   if k.strip()),
            inbox_workers=int(_number(get, "INBOX_WORKERS", 4, minimum=1, maximum=64, integer=True)),
            send_concurrency=int(_number(get, "SEND_CONCURRENCY", 0, minimum=0, maximum=1024, integer=True)),
            token_recheck_seconds=_number(get, "TOKEN_RECHECK_SECONDS", 30.0, minimum=0.1, maximum=3600),
            graph_timeout_seconds=_number(get, "GRAPH_TIMEOUT_SECONDS", 10.0, minimum=0.1, maximum=120),
        )


def _offsets(raw: str | None) -> tuple[float, ...]:
    if raw is None:
        return (30.0, 5.0)
    try:
        values = tuple(sorted({float(v) for v in raw.split(",") if v.strip()}, reverse=True))
    except ValueError:
        raise ConfigError(f"REMINDER_OFFSETS must be minutes separated by commas, such as 30,5, got {raw!r}") from None
    if any(v <= 0 or v > 7 * 24 * 60 for v in values):
        raise ConfigError(f"REMINDER_OFFSETS must be between 0 and 10080 minutes, got {raw!r}")
    return values


def _number(get, name: str, default: float, *, minimum: float, maximum: float, integer: bool = False) -> float:
    raw = get(name)
    if raw is None:
        return default
    try:
        value = int(raw) if integer else float(raw)
    except ValueError:
        kind = "a whole number" if integer else "a number"
        raise ConfigError(f"{name} must be {kind} between {minimum:g} and {maximum:g}, got {raw!r}") from None
    if not (minimum <= value <= maximum) or (not integer and not math.isfinite(value)):
        raise ConfigError(f"{name} must be between {minimum:g} and {maximum:g}, got {raw!r}")
    return value
