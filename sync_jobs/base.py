"""What a job is: it plans a window into work items and carries out one item at a time.

The runner owns everything else (claims, leases, watermarks, the error queue), so a job is
a few declared attributes and two methods, whatever engine runs it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from typing import Any

from config import Settings


@dataclass(frozen=True)
class ItemSpec:
    """One piece of work: its business key, what to do, and a version that makes it new."""

    business_key: str
    payload: Any = None
    version: str = ""


class Clock:
    """The time a run goes by: real UTC here; tests hand the runner one that they move."""

    def now(self) -> datetime:
        return datetime.now(timezone.utc)

    def today(self) -> date:
        """The day (UTC) a job dates its work by: an undated price, a scheduled one's day."""
        return self.now().date()


@dataclass
class RunContext:
    job_id: str
    run_id: int
    settings: Settings
    window_start: datetime
    window_end: datetime
    dry_run: bool = False
    scheduled_at: datetime | None = None
    notes: list[str] = field(default_factory=list)
    read: int = 0
    # Records written by batch items; the runner counts one per item when a job leaves it 0.
    written: int = 0
    # Records of a batch item that were refused on their own: (business key, payload, error).
    rejected: list[tuple[str, Any, Any]] = field(default_factory=list)
    # Business keys of every record rejected so far in this run, for its summary.
    rejected_keys: list[str] = field(default_factory=list)
    clock: Clock = field(default_factory=Clock)

    def today(self) -> date:
        return self.clock.today()

    def reject(self, business_key: str, payload: Any, error: Any) -> None:
        """Park one record of a batch item in the error queue; the rest of the batch goes on."""
        self.rejected.append((business_key, payload, error))


class Job:
    """Base of every job; subclasses set job_id and implement plan and perform."""

    job_id: str = ""
    # How far back the first run reads when no watermark is stored yet.
    first_window = timedelta(days=1)
    # A snapshot job's item is a picture of the present (a reconciliation of the period up to
    # now): an item an earlier run left open is superseded by this run's, never carried out late.
    snapshot = False

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    def plan(self, ctx: RunContext) -> Iterable[ItemSpec]:
        raise NotImplementedError

    def perform(self, ctx: RunContext, business_key: str, payload: Any) -> str | None:
        """Carry out one item idempotently; return a short note or None.

        Raise RecordRejectedError for a record a person must fix, TransientError for a passing
        failure (the item waits for the next run), ConfigError to stop the run.
        """
        raise NotImplementedError

    def confirm(self, ctx: RunContext, business_key: str, payload: Any) -> bool:
        """Did an interrupted attempt's write land? Asked only for items whose holder died
        while carrying them out, so a resumed run does not write them twice. Jobs whose
        target can be read by our external id answer from there; False means 'do it again'."""
        return False

    def throttled(self) -> str | None:
        """Why a non-urgent job should stop now (a system's quota nearly used), or None."""
        return None

    def api_calls(self) -> int:
        return 0

    def close(self) -> None:
        """Release connections; called once when the run ends."""
