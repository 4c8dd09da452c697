"""What the three carriers share behind the Carrier contract: batching, counts, check.

A carrier module supplies `batch_size`, `_track_batch(numbers)`, `_rate(request)` and
`_probe()`; this class keeps the order of the numbers asked for, asks each number once, flags
shipments that have not moved for the configured days, and marks cheapest and fastest rates.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime, timezone

from connectors.base import CheckResult
from connectors.carriers.base import (
    RateQuote,
    RateRequest,
    TrackResult,
    flag_no_movement,
    mark_rates,
)
from connectors.carriers.client import HttpClient


def _now() -> datetime:
    return datetime.now(timezone.utc)


class CarrierConnector:
    system = ""
    batch_size = 1

    def __init__(
        self,
        client: HttpClient,
        *,
        no_movement_days: int = 0,
        clock: Callable[[], datetime] = _now,
    ) -> None:
        self.client = client
        self.no_movement_days = no_movement_days
        self.clock = clock

    @property
    def api_calls(self) -> int:
        return self.client.api_calls

    @property
    def auth_calls(self) -> int:
        return self.client.auth_calls

    def track(self, numbers: Iterable[str]) -> list[TrackResult]:
        """A TrackResult per distinct number, in the order asked."""
        wanted = list(dict.fromkeys(n.strip() for n in numbers if n and n.strip()))
        found: dict[str, TrackResult] = {}
        for start in range(0, len(wanted), self.batch_size):
            for result in self._track_batch(wanted[start : start + self.batch_size]):
                found.setdefault(result.number, result)
        now = self.clock()
        return [
            flag_no_movement(found[n], now, self.no_movement_days)
            if n in found
            else TrackResult(n, self.system, found=False, message="no reply for this number")
            for n in wanted
        ]

    def rate(self, shipment: RateRequest) -> list[RateQuote]:
        return mark_rates(self._rate(shipment))

    def check(self) -> CheckResult:
        ok, latency, message, hint = self.client.timed_check(self._probe)
        return CheckResult(self.system, ok, latency, message, hint)

    def _track_batch(self, numbers: list[str]) -> list[TrackResult]:
        raise NotImplementedError

    def _rate(self, request: RateRequest) -> list[RateQuote]:
        return []

    def _probe(self) -> str:
        raise NotImplementedError
