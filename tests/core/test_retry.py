from __future__ import annotations

import random

import pytest

from core.errors import ConfigError, TransientError
from core.retry import CircuitBreaker, CircuitOpenError, RetryPolicy, call_with_retry


class Flaky:
    def __init__(self, failures: int, error: Exception | None = None) -> None:
        self.failures = failures
        self.calls = 0
        self.error = error or TransientError("503", system="ups")

    def __call__(self) -> str:
        self.calls += 1
        if self.calls <= self.failures:
            raise self.error
        return "ok"


def test_transient_errors_are_retried_until_success():
    slept: list[float] = []
    fn = Flaky(2)
    assert call_with_retry(fn, system="ups", sleep=slept.append) == "ok"
    assert fn.calls == 3
    assert len(slept) == 2


def test_other_errors_are_not_retried():
    fn = Flaky(1, ConfigError("bad login"))
    with pytest.raises(ConfigError):
        call_with_retry(fn, system="ups", sleep=lambda s: None)
    assert fn.calls == 1


def test_retry_after_is_honoured():
    slept: list[float] = []
    fn = Flaky(1, TransientError("429", retry_after=7.0))
    call_with_retry(fn, system="ups", sleep=slept.append, policy=RetryPolicy(base_seconds=0.01))
    assert slept == [7.0]


def test_backoff_is_full_jitter_under_an_exponential_cap():
    policy = RetryPolicy(base_seconds=1, cap_seconds=8)
    rng = random.Random(3)
    delays = [policy.delay(attempt, None, rng) for attempt in (1, 2, 3, 4, 5, 6)]
    assert all(
        0 <= d <= min(8, 2 ** (n - 1)) for n, d in zip((1, 2, 3, 4, 5, 6), delays, strict=True)
    )


def test_gives_up_after_the_attempts():
    fn = Flaky(10)
    with pytest.raises(TransientError):
        call_with_retry(fn, system="ups", sleep=lambda s: None, policy=RetryPolicy(attempts=3))
    assert fn.calls == 3


def test_gives_up_when_elapsed_time_would_pass_the_cap():
    fn = Flaky(10, TransientError("429", retry_after=100))
    with pytest.raises(TransientError):
        call_with_retry(
            fn, system="ups", sleep=lambda s: None, policy=RetryPolicy(max_elapsed_seconds=60)
        )
    assert fn.calls == 1


def test_breaker_opens_and_lets_one_probe_through_after_reset():
    now = [0.0]
    breaker = CircuitBreaker("fedex", threshold=2, reset_seconds=10, clock=lambda: now[0])
    breaker.record_failure()
    breaker.record_failure()
    with pytest.raises(CircuitOpenError):
        breaker.before_call()
    now[0] = 11
    breaker.before_call()  # the probe
    with pytest.raises(CircuitOpenError):
        breaker.before_call()  # a second caller waits for the probe
    breaker.record_success()
    assert breaker.state == "closed"


def test_failed_probe_opens_again():
    now = [0.0]
    breaker = CircuitBreaker("dhl", threshold=1, reset_seconds=5, clock=lambda: now[0])
    breaker.record_failure()
    now[0] = 6
    breaker.before_call()
    breaker.record_failure()
    assert breaker.state == "open"
