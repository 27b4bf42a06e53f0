"""The one place that talks to Facebook's Graph API (or the fake that stands in for it).

Every call goes under `GRAPH_API_URL` with a timeout, over pooled keep-alive connections (one
`requests.Session` per thread, as sessions are not guaranteed thread-safe). Errors are classified once, here,
into what the caller should do about them.
"""
from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

import requests
from requests.adapters import HTTPAdapter

# What to do about a failed call.
RETRY = "retry"  # temporary: try again later
THROTTLED = "throttled"  # Facebook asks us to slow down: back off everything
TOKEN = "token"  # the Page token is invalid or expired: stop sending until it is fixed
USER_UNAVAILABLE = "user_unavailable"  # this person cannot get messages now: stop for this message
NO_MATCHING_USER = "no_matching_user"
OUTSIDE_WINDOW = "outside_window"
PERMANENT = "failed"  # the request itself is wrong: retrying will not help

THROTTLE_CODES = {4, 17, 32, 613}


@dataclass
class GraphError(Exception):
    status: int | None
    code: int | None = None
    subcode: int | None = None
    message: str = ""
    transient: bool = False

    def __str__(self) -> str:
        parts = [f"HTTP {self.status}" if self.status else "no response"]
        if self.code is not None:
            parts.append(f"code {self.code}" + (f"/{self.subcode}" if self.subcode else ""))
        if self.message:
            parts.append(self.message[:200])
        return ": ".join(parts)

    @property
    def action(self) -> str:
        code, sub = self.code, self.subcode
        if self.status is None:
            return RETRY
        if code == 190:
            return TOKEN
        if code in THROTTLE_CODES:
            return THROTTLED
        if code == 551:
            return USER_UNAVAILABLE
        if code == 100 and sub == 2018001:
            return NO_MATCHING_USER
        if code == 10 and sub == 2018278:
            return OUTSIDE_WINDOW
        if code in (1200, 2) or self.transient or self.status >= 500 or self.status == 429:
            return RETRY
        return PERMANENT


def _error_from(response: requests.Response) -> GraphError:
    try:
        error = response.json().get("error") or {}
    except ValueError:
        error = {}
    if not isinstance(error, dict):
        error = {}

    def as_int(value: Any) -> int | None:
        try:
            return int(value)
        except (TypeError, ValueError):
            return None

    return GraphError(
        status=response.status_code,
        code=as_int(error.get("code")),
        subcode=as_int(error.get("error_subcode")),
        message=str(error.get("message") or response.reason or ""),
        transient=bool(error.get("is_transient")),
    )


class GraphClient:
    def __init__(self, base_url: str, token: str, timeout: float = 10.0, pool_size: int = 4):
        self.base_url = base_url.rstrip("/")
        self.token = token
        self.timeout = (min(3.05, timeout), timeout)  # (connect, read)
        self.pool_size = pool_size
        self._local = threading.local()

    @property
    def session(self) -> requests.Session:
        session = getattr(self._local, "session", None)
        if session is None:
            session = requests.Session()
            adapter = HTTPAdapter(pool_connections=2, pool_maxsize=self.pool_size, max_retries=0)
            session.mount("http://", adapter)
            session.mount("https://", adapter)
            self._local.session = session
        return session

    def _call(self, method: str, path: str, *, params: dict | None = None, json: dict | None = None,
              timeout: float | None = None) -> dict:
        query = {"access_token": self.token, **(params or {})}
        try:
            response = self.session.request(
                method, f"{self.base_url}/{path.lstrip('/')}", params=query, json=json,
                timeout=(self.timeout[0], timeout) if timeout else self.timeout,
            )
        except requests.RequestException as exc:
            # The exception text can contain the URL with the token: keep only its type.
            raise GraphError(status=None, message=type(exc).__name__) from None
        if response.status_code >= 400:
            raise _error_from(response)
        try:
            data = response.json()
        except ValueError:
            raise GraphError(status=response.status_code, message="answer is not JSON", transient=True) from None
        return data if isinstance(data, dict) else {"data": data}

    def send(self, request_body: dict) -> dict:
        """POST /me/messages; returns Facebook's answer ({recipient_id, message_id})."""
        return self._call("POST", "me/messages", json=request_body)

    def user_profile(self, psid: str, timeout: float = 3.0) -> dict:
        return self._call("GET", psid, params={"fields": "first_name,last_name,locale"}, timeout=timeout)

    def messenger_profile(self, fields: list[str]) -> dict:
        return self._call("GET", "me/messenger_profile", params={"fields": ",".join(fields)})

    def set_messenger_profile(self, profile: dict) -> dict:
        return self._call("POST", "me/messenger_profile", json=profile)

    def check_token(self) -> bool:
        """True when Facebook accepts the token (GET /me); False on error 190."""
        try:
            self._call("GET", "me", params={"fields": "id"}, timeout=5.0)
        except GraphError as exc:
            if exc.action == TOKEN:
                return False
            raise
        return True
