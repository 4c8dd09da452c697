"""The org's API usage as Salesforce reports it on every reply, and when to hold back.

Every REST reply carries `Sforce-Limit-Info: api-usage=<used>/<max>` (REST API Developer
Guide, "Limit Info Header"); Bulk API 2.0 replies do too. The latest figures are kept here so
a job can ask, before it starts more work, whether the org is close to its daily allocation.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass, field

_API_USAGE = re.compile(r"(?:^|[;\s])api-usage=(\d+)/(\d+)")

# Urgencies that run even above the pause share: a person is waiting on them.
URGENT = frozenset({"urgent", "interactive"})


def parse_limit_info(header: str | None) -> tuple[int, int] | None:
    """(used, max) from a Sforce-Limit-Info value; None when it holds no api-usage."""
    match = _API_USAGE.search(header or "")
    if not match:
        return None
    return int(match.group(1)), int(match.group(2))


@dataclass
class ApiUsage:
    """The latest org-wide API usage seen, shared by every call of one connector."""

    pause_share: float = 0.8
    used: int | None = None
    max: int | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def observe(self, header: str | None) -> None:
        figures = parse_limit_info(header)
        if figures is not None:
            with self._lock:
                self.used, self.max = figures

    @property
    def share(self) -> float | None:
        """Used over max, or None before the first reply (or when max is 0)."""
        with self._lock:
            if self.used is None or not self.max:
                return None
            return self.used / self.max

    def should_pause(self, urgency: str = "normal") -> bool:
        """True when a non-urgent job should wait: usage is at or above the pause share."""
        share = self.share
        return share is not None and share >= self.pause_share and urgency not in URGENT
