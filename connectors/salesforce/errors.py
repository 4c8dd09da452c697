"""The one Salesforce-specific error a job runner must recognise: the API quota is spent.

Salesforce answers every call with HTTP 403 REQUEST_LIMIT_EXCEEDED ("TotalRequests Limit
exceeded.") once the org's rolling 24-hour API allocation is used up. Retrying soon only burns
what is left of the allocation for everyone else, so the runner parks the job instead: it
catches QuotaExhaustedError, leaves the watermark and the work items as they are, and runs the
job again no sooner than `retry_after` seconds from now.
"""

from __future__ import annotations

from core.errors import TransientError


class QuotaExhaustedError(TransientError):
    """The org's daily API quota is used up; park the job for `retry_after` seconds.

    A TransientError (the work is fine, only the time is wrong) with error_class "rate_limit".
    Salesforce does not say when a rolling 24-hour window frees calls, so `retry_after` is the
    configured `connections.salesforce.quota_park_seconds` unless the reply carried a
    Retry-After. Never retried in-process: `call_with_retry` is not given the chance.
    """

    def __init__(self, message: str, *, retry_after: float, **kwargs) -> None:
        kwargs.setdefault("system", "salesforce")
        kwargs.setdefault(
            "hint",
            "the org's daily API allocation is used up; the job resumes when it frees up, "
            "or raise the allocation in Salesforce Setup > Company Information",
        )
        super().__init__(message, retry_after=retry_after, error_class="rate_limit", **kwargs)
