"""The three error families every layer raises, each carrying system, key and a hint.

Named by what the operator does next (after the Singer SDK's fatal / retriable / skippable):
a ConfigError stops the job until a person fixes a setting or credential, a TransientError is
retried with backoff, a RecordRejectedError parks one record in the error queue.
"""

from __future__ import annotations

# Error classes of the record error queue (ARCHITECTURE "Jobs, work and scheduling").
ERROR_CLASSES = ("value", "missing", "duplicate", "rate_limit", "connection", "parse", "config")


class OrderbridgeError(Exception):
    """Base of our errors: a message plus where it happened and what to do about it."""

    def __init__(
        self,
        message: str,
        *,
        system: str | None = None,
        key: str | None = None,
        hint: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.system = system
        self.key = key
        self.hint = hint

    def one_line(self) -> str:
        """The error as one line for a terminal or a log: where, what, and what to do."""
        where = ":".join(part for part in (self.system, self.key) if part)
        text = f"{where}: {self.message}" if where else self.message
        return f"{text} ({self.hint})" if self.hint else text

    def __str__(self) -> str:
        return self.one_line()


class ConfigError(OrderbridgeError):
    """A setting, credential or permission is wrong; retrying will not help."""


# Error classes that say the system, not the record, failed: whatever carries them (an exception
# or one record's result in a batch), the record is carried out again when the system is back.
TRANSIENT_CLASSES = frozenset({"connection", "rate_limit"})


class TransientError(OrderbridgeError):
    """A passing failure (timeout, 5xx, throttling); the same call may succeed later."""

    def __init__(
        self,
        message: str,
        *,
        retry_after: float | None = None,
        error_class: str = "connection",
        **kwargs,
    ) -> None:
        super().__init__(message, **kwargs)
        self.retry_after = retry_after
        self.error_class = error_class


class RecordRejectedError(OrderbridgeError):
    """One record was refused; the others carry on and this one waits in the error queue."""

    def __init__(
        self, message: str, *, error_class: str = "value", code: str | None = None, **kwargs
    ) -> None:
        super().__init__(message, **kwargs)
        self.error_class = error_class
        self.code = code


class JobAlreadyRunningError(OrderbridgeError):
    """The same job is running now in a live process."""
