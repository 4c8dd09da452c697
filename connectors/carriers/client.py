"""The one place carrier and 3PL connectors do I/O: sessions, auth, retries, error classes.

Every call goes through core.http.new_session (sandbox routing and tracing attach there) and
core.retry.call_with_retry with the system's circuit breaker. 429 and 5xx and network failures
become TransientError (Retry-After honoured), 401 and 403 ConfigError; other 4xx replies come
back to the caller, whose parser knows what the carrier means by them (an unknown tracking
number is a 404 at UPS and DHL). An OAuth token is cached until shortly before it expires; a
401 on a call drops it and the call is made once more with a fresh one (tokens expire mid-run).
API calls and auth calls are counted apart.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from typing import Any, Protocol

import requests

from core.errors import ConfigError, TransientError
from core.http import new_session
from core.retry import RetryPolicy, breaker_for, call_with_retry

# Renew this long before the carrier says a token expires, so a call never carries a dead one.
TOKEN_SKEW_SECONDS = 60.0


@dataclass
class Reply:
    status: int
    body: Any
    headers: Mapping[str, str] = field(default_factory=dict)


class Auth(Protocol):
    def headers(self, client: HttpClient) -> dict[str, str]: ...

    def invalidate(self) -> bool: ...


def _credentials_hint(auth: Auth, system: str) -> str:
    """Which setting to look at when the carrier refuses the credentials."""
    if isinstance(auth, ApiKeyAuth) and auth.setting:
        return f"check {auth.setting} (the key and the API products it is subscribed to)"
    setting = getattr(auth, "setting", "") or f"connections.{system}"
    return f"check {setting} credentials and their API access"


@dataclass
class ApiKeyAuth:
    """A fixed key in a header (DHL-API-Key, the 3PL's X-API-Key)."""

    header: str
    key: str | None
    setting: str = ""

    def headers(self, client: HttpClient) -> dict[str, str]:
        if not self.key:
            raise ConfigError("no API key configured", system=client.system, key=self.setting)
        return {self.header: self.key}

    def invalidate(self) -> bool:
        return False


_TOKENS: dict[tuple[str, str], tuple[str, float]] = {}
_TOKENS_LOCK = threading.Lock()


def clear_token_cache() -> None:
    with _TOKENS_LOCK:
        _TOKENS.clear()


@dataclass
class OAuthClientCredentials:
    """OAuth 2.0 client credentials: UPS sends them as HTTP Basic, FedEx in the form body."""

    token_path: str
    client_id: str | None
    client_secret: str | None
    basic: bool
    setting: str = ""
    extra_headers: Mapping[str, str] = field(default_factory=dict)
    clock: Callable[[], float] = time.time

    def _cache_key(self, client: HttpClient) -> tuple[str, str]:
        return (client.base_url + self.token_path, self.client_id or "")

    def headers(self, client: HttpClient) -> dict[str, str]:
        key = self._cache_key(client)
        with _TOKENS_LOCK:
            cached = _TOKENS.get(key)
        if cached is None or cached[1] <= self.clock():
            cached = self._fetch(client)
            with _TOKENS_LOCK:
                _TOKENS[key] = cached
        return {"Authorization": f"Bearer {cached[0]}"}

    def invalidate(self) -> bool:
        with _TOKENS_LOCK:
            for key in [k for k in _TOKENS if k[1] == (self.client_id or "")]:
                del _TOKENS[key]
        return True

    def _fetch(self, client: HttpClient) -> tuple[str, float]:
        if not self.client_id or not self.client_secret:
            raise ConfigError(
                "client id and secret are not both configured",
                system=client.system,
                key=self.setting,
                hint=f"set {self.setting}.client_id and {self.setting}.client_secret",
            )
        form = {"grant_type": "client_credentials"}
        auth = None
        if self.basic:
            auth = (self.client_id, self.client_secret)
        else:
            form.update(client_id=self.client_id, client_secret=self.client_secret)
        reply = client.send(
            "POST",
            self.token_path,
            data=form,
            auth=auth,
            headers=dict(self.extra_headers),
            kind="auth",
        )
        token = reply.body.get("access_token") if isinstance(reply.body, dict) else None
        if reply.status != 200 or not token:
            raise ConfigError(
                f"token request refused (HTTP {reply.status})",
                system=client.system,
                key=self.setting,
                hint="check the client id and secret",
            )
        try:
            lifetime = float(reply.body.get("expires_in") or 0)
        except (TypeError, ValueError):
            lifetime = 0.0
        return token, self.clock() + max(lifetime - TOKEN_SKEW_SECONDS, 0.0)


def retry_after(value: str | None) -> float | None:
    """Seconds from a Retry-After header: a number or an HTTP date."""
    if not value:
        return None
    try:
        return max(float(value), 0.0)
    except ValueError:
        pass
    try:
        return max(parsedate_to_datetime(value).timestamp() - time.time(), 0.0)
    except (TypeError, ValueError):
        return None


def _body(response: requests.Response) -> Any:
    if not response.content:
        return None
    try:
        return response.json()
    except ValueError:
        return response.text


class HttpClient:
    """A JSON-over-HTTPS client for one system, with its auth, counts and retry policy."""

    def __init__(
        self,
        system: str,
        base_url: str,
        auth: Auth,
        *,
        timeout: float = 30.0,
        policy: RetryPolicy | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.system = system
        self.base_url = base_url.rstrip("/")
        self.auth = auth
        self.policy = policy or RetryPolicy()
        self.sleep = sleep
        self.session = new_session(system, timeout)
        self.api_calls = 0
        self.auth_calls = 0

    def send(self, method: str, path: str, *, kind: str = "api", **kwargs: Any) -> Reply:
        """One HTTP exchange, counted; raises TransientError for what a retry may cure."""
        if kind == "auth":
            self.auth_calls += 1
        else:
            self.api_calls += 1
        try:
            response = self.session.request(method, self.base_url + path, **kwargs)
        except (requests.Timeout, requests.ConnectionError) as exc:
            raise TransientError(
                f"{method} {path}: {type(exc).__name__}", system=self.system, key=path
            ) from exc
        if response.status_code == 429:
            raise TransientError(
                "rate limited (HTTP 429)",
                system=self.system,
                key=path,
                retry_after=retry_after(response.headers.get("Retry-After")),
                error_class="rate_limit",
            )
        if response.status_code >= 500:
            raise TransientError(
                f"HTTP {response.status_code} from {method} {path}",
                system=self.system,
                key=path,
                retry_after=retry_after(response.headers.get("Retry-After")),
            )
        return Reply(response.status_code, _body(response), response.headers)

    def _attempt(self, method: str, path: str, kwargs: dict[str, Any]) -> Reply:
        headers = dict(kwargs.pop("headers", None) or {})
        for fresh in (False, True):
            sent = {**headers, **self.auth.headers(self)}
            reply = self.send(method, path, headers=sent, **kwargs)
            if reply.status != 401 or fresh or not self.auth.invalidate():
                break
        if reply.status in (401, 403):
            raise ConfigError(
                f"credentials refused (HTTP {reply.status})",
                system=self.system,
                key=path,
                hint=_credentials_hint(self.auth, self.system),
            )
        return reply

    def call(self, method: str, path: str, **kwargs: Any) -> Reply:
        """An authenticated call with the shared retry policy and circuit breaker."""
        return call_with_retry(
            lambda: self._attempt(method, path, dict(kwargs)),
            system=self.system,
            policy=self.policy,
            breaker=breaker_for(self.system),
            sleep=self.sleep,
        )

    def timed_check(self, probe: Callable[[], Any]) -> tuple[bool, int, str, str]:
        """Run probe once; (ok, latency ms, message, hint) for a CheckResult."""
        started = time.monotonic()
        try:
            message = probe() or "ok"
            ok, hint = True, ""
        except (ConfigError, TransientError) as exc:
            ok, message, hint = False, exc.message, exc.hint or ""
        return ok, int((time.monotonic() - started) * 1000), str(message), hint
