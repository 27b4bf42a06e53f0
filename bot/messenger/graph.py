"""The one place that talks to Facebook's Graph API (or the fake that stands in for it).

Every call goes under `GRAPH_API_URL` with a timeout, over pooled keep-alive connections. Errors are classified
once, here, into what the caller should do about them.

Why urllib3 (the connection pool requests is built on) rather than a requests.Session: a Send API call cost
~470 us of our CPU through requests (with trust_env off) against ~290 us through urllib3 (bench/ingest.py's
client measurements), and sending is most of what a reply costs. On a 2-core machine that was 30 % more
webhooks acknowledged per second and half the p99 at 500 events/s. Proxy and CA settings are read from the
environment once, as requests would.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import json as _json
import os
import urllib.request
from urllib.parse import urlencode

import certifi
import urllib3

# What to do about a failed call.
RETRY = "retry"  # temporary: try again later
THROTTLED = "throttled"  # Facebook asks us to slow down: back off everything
TOKEN = "token"  # the Page token is invalid or expired: stop sending until it is fixed
USER_UNAVAILABLE = "user_unavailable"  # this person cannot get messages now: stop for this message
NO_MATCHING_USER = "no_matching_user"
OUTSIDE_WINDOW = "outside_window"
RESTRICTED = "restricted"  # the Page may not send for now (10/1893063, since June 2026): stop sending, retry later
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
        if code == 10 and sub == 1893063:  # Messenger Platform changelog, 25 June 2026
            return RESTRICTED
        if code in (1200, 2) or self.transient or self.status >= 500 or self.status == 429:
            return RETRY
        return PERMANENT


def _graph_error(status: int, error: dict, reason: str | None) -> GraphError:
    def as_int(value: Any) -> int | None:
        try:
            return int(value)
        except (TypeError, ValueError):
            return None

    return GraphError(status=status, code=as_int(error.get("code")), subcode=as_int(error.get("error_subcode")),
                      message=str(error.get("message") or reason or ""), transient=bool(error.get("is_transient")))


class GraphClient:
    def __init__(self, base_url: str, token: str, timeout: float = 10.0, pool_size: int = 4):
        self.base_url = base_url.rstrip("/")
        self.token = token
        self.timeout = urllib3.Timeout(connect=min(3.05, timeout), read=timeout)
        # One pool for all threads (urllib3 pools are thread-safe); keep-alive connections up to pool_size.
        options = {"maxsize": max(4, pool_size), "block": False, "retries": False,
                   "ca_certs": os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("SSL_CERT_FILE") or certifi.where()}
        parsed = urllib3.util.parse_url(self.base_url)
        proxy = urllib.request.getproxies().get(parsed.scheme or "https")
        if proxy and not urllib.request.proxy_bypass(parsed.host or ""):
            self.http = urllib3.ProxyManager(proxy, **options)
        else:
            self.http = urllib3.PoolManager(**options)

    def _call(self, method: str, path: str, *, params: dict | None = None, json: dict | None = None,
              timeout: float | None = None) -> dict:
        query = urlencode({"access_token": self.token, **(params or {})})
        body = None if json is None else _json.dumps(json, ensure_ascii=False).encode()
        status, raw, reason = self._request(method, f"{path.lstrip('/')}?{query}", body, timeout)
        try:
            data = _json.loads(raw) if raw else {}
        except ValueError:
            data = None
        if status >= 400:
            error = (data or {}).get("error") if isinstance(data, dict) else None
            raise _graph_error(status, error if isinstance(error, dict) else {}, reason)
        if data is None:
            raise GraphError(status=status, message="answer is not JSON", transient=True)
        return data if isinstance(data, dict) else {"data": data}

    def _request(self, method: str, path_and_query: str, body: bytes | None,
                 timeout: float | None) -> tuple[int, bytes, str | None]:
        """One HTTP request: (status, body, reason). The transport alone, so a fake can stand in for it."""
        headers = {"Content-Type": "application/json"} if body is not None else None
        limit = urllib3.Timeout(connect=self.timeout.connect_timeout, read=timeout) if timeout else self.timeout
        try:
            response = self.http.request(method, f"{self.base_url}/{path_and_query}", body=body, headers=headers,
                                         timeout=limit)
        except urllib3.exceptions.HTTPError as exc:
            # The exception text can contain the URL with the token: keep only its type.
            raise GraphError(status=None, message=type(exc).__name__) from None
        return response.status, response.data, response.reason

    def send(self, request_body: dict) -> dict:
        """POST /me/messages; returns Facebook's answer ({recipient_id, message_id})."""
        return self._call("POST", "me/messages", json=request_body)

    def user_profile(self, psid: str, timeout: float = 3.0) -> dict:
        return self._call("GET", psid, params={"fields": "first_name,last_name,locale"}, timeout=timeout)

    def messenger_profile(self, fields: list[str]) -> dict:
        return self._call("GET", "me/messenger_profile", params={"fields": ",".join(fields)})

    def set_messenger_profile(self, profile: dict) -> dict:
        return self._call("POST", "me/messenger_profile", json=profile)

    def message_templates(self, page_id: str, name: str | None = None) -> list[dict]:
        """GET /{page-id}/message_templates, every page of it: the Page's utility message templates with their
        `status` ("Page Message Templates", Graph API reference)."""
        params: dict = {"limit": 100, "fields": "id,name,language,status,category,rejected_reason"}
        if name:
            params["name"] = name
        found: list[dict] = []
        for _ in range(100):  # at most 10,000 templates; Meta's own limit per Page is far lower
            answer = self._call("GET", f"{page_id}/message_templates", params=params)
            found += [t for t in answer.get("data") or [] if isinstance(t, dict)]
            cursor = ((answer.get("paging") or {}).get("cursors") or {}).get("after")
            if not (answer.get("paging") or {}).get("next") or not cursor:
                break
            params = {**params, "after": cursor}
        return found

    def create_message_template(self, page_id: str, body: dict) -> dict:
        """POST /{page-id}/message_templates; returns {id, status, category}."""
        return self._call("POST", f"{page_id}/message_templates", json=body)

    def page(self, timeout: float = 5.0) -> dict:
        """GET /me with a Page token: the Page's {id, name}."""
        return self._call("GET", "me", params={"fields": "id,name"}, timeout=timeout)

    def check_token(self) -> bool:
        """True when Facebook accepts the token (GET /me); False on error 190."""
        try:
            self._call("GET", "me", params={"fields": "id"}, timeout=5.0)
        except GraphError as exc:
            if exc.action == TOKEN:
                return False
            raise
        return True
