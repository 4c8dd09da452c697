"""What the runner does with an item's error: a table by the error's family, plus the rules
that turn a refused record into the system's failure and a long rate limit into a held job."""

from __future__ import annotations

from core.errors import (
    TRANSIENT_CLASSES,
    ConfigError,
    OrderbridgeError,
    RecordRejectedError,
    TransientError,
)

# A rate limit that asks us to wait this long or more parks the job instead of retrying.
PARK_AFTER_SECONDS = 60

# By whose fault the error is:
#   reject  the record's: it waits in the error queue for a person
#   retry   the system's: the item goes back in line uncounted; the run goes on to the next
#           record, stopping (to resume) at the second failure in a row
#   park    a quota: the job is held until it resets
#   stop    a setting: the run fails, the item waits in line
ACTIONS: dict[type[OrderbridgeError], str] = {
    ConfigError: "stop",
    TransientError: "retry",
    RecordRejectedError: "reject",
}


def action_for(exc: OrderbridgeError) -> str:
    action = next((a for family, a in ACTIONS.items() if isinstance(exc, family)), "reject")
    # A record refused for a system's reason (a row lock, a throttled batch) is the system's.
    if isinstance(exc, RecordRejectedError) and exc.error_class in TRANSIENT_CLASSES:
        action = "retry"
    if action != "retry":
        return action
    if exc.error_class == "rate_limit" and (getattr(exc, "retry_after", 0) or 0) >= (
        PARK_AFTER_SECONDS
    ):
        return "park"
    return "retry"


def will_resume(exc: OrderbridgeError) -> str:
    return f"stopped on a transient error, will resume: {exc.one_line()}"
