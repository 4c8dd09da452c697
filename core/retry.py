"""One retry policy for every connector, and a circuit breaker per system.

Only classified transient errors are retried: exponential backoff with full jitter (AWS
Architecture Blog, "Exponential Backoff And Jitter"), never sooner than a Retry-After the
system asked for, capped by attempts and by elapsed time.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypeVar

from core.errors import TransientError

T = TypeVar("T")


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int = 5
    base_seconds: float = 0.5
    cap_seconds: float = 30.0
    max_elapsed_seconds: float = 120.0

    def delay(self, attempt: int, retry_after: float | None, rng: random.Random) -> float:
        """Seconds to wait before try number attempt + 1 (attempt counts from 1)."""
        jitter = rng.uniform(0, min(self.cap_seconds, self.base_seconds * 2 ** (attempt - 1)))
        return max(jitter, retry_after or 0.0)


class CircuitOpenError(TransientError):
    """The system failed too often lately; calls wait until one probe succeeds."""


@dataclass
class CircuitBreaker:
    """Opens after `threshold` failures in a row; after `reset_seconds` lets one probe through."""

    system: str
    threshold: int = 5
    reset_seconds: float = 60.0
    clock: Callable[[], float] = time.monotonic
    failures: int = 0
    opened_at: float | None = None
    probing: bool = False
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @property
    def state(self) -> str:
        if self.opened_at is None:
            return "closed"
        return "half_open" if self.clock() - self.opened_at >= self.reset_seconds else "open"

    def before_call(self) -> None:
        with self._lock:
            state = self.state
            if state == "closed":
                return
            if state == "half_open" and not self.probing:
                self.probing = True
                return
            wait = max(0.0, self.reset_seconds - (self.clock() - self.opened_at))
            raise CircuitOpenError(
                f"circuit open after {self.failures} failures in a row",
                system=self.system,
                retry_after=wait or None,
                hint="the system keeps failing; calls resume after a probe",
            )

    def record_success(self) -> None:
        with self._lock:
            self.failures, self.opened_at, self.probing = 0, None, False

    def record_failure(self) -> None:
        with self._lock:
            self.failures += 1
            if self.probing or self.failures >= self.threshold:
                self.opened_at, self.probing = self.clock(), False


_BREAKERS: dict[str, CircuitBreaker] = {}
_BREAKERS_LOCK = threading.Lock()


def breaker_for(system: str) -> CircuitBreaker:
    with _BREAKERS_LOCK:
        return _BREAKERS.setdefault(system, CircuitBreaker(system))


def call_with_retry(
    fn: Callable[[], T],
    *,
    system: str,
    policy: RetryPolicy | None = None,
    breaker: CircuitBreaker | None = None,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
    rng: random.Random | None = None,
) -> T:
    """Call fn, retrying TransientError by the policy; anything else passes straight out."""
    policy = policy or RetryPolicy()
    rng = rng or random.Random()
    started = clock()
    attempt = 0
    while True:
        attempt += 1
        if breaker is not None:
            breaker.before_call()
        try:
            result = fn()
        except TransientError as exc:
            if breaker is not None and not isinstance(exc, CircuitOpenError):
                breaker.record_failure()
            delay = policy.delay(attempt, exc.retry_after, rng)
            out_of_time = clock() - started + delay > policy.max_elapsed_seconds
            if attempt >= policy.attempts or out_of_time:
                raise
            sleep(delay)
            continue
        if breaker is not None:
            breaker.record_success()
        return result
