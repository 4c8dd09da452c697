"""NetSuite's faults and status codes, classified by what the operator does next.

Concurrency, request-blocked and exceeded-limit faults pass: retry later. Login, account,
permission and version faults need a person to fix a setting or a role. A record's own
statusDetail rejects that record alone.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from core.errors import ConfigError, OrderbridgeError, RecordRejectedError, TransientError

SYSTEM = "netsuite"


# What connectors.netsuite.replies reads out of a reply for the functions below: they live
# here so that this module does not reach back into the reply parser.
@dataclass(frozen=True)
class Fault:
    kind: str
    code: str
    message: str


@dataclass(frozen=True)
class Detail:
    code: str
    message: str
    type: str = "ERROR"


# Faults that pass on their own: NetSuite's concurrency governance and request limits.
TRANSIENT_CODES = {
    "WS_CONCUR_SESSION_DISALLWD": "rate_limit",
    "WS_REQUEST_BLOCKED": "rate_limit",
    "WS_EXCEEDED_CONCUR_USERS_ALLWD": "rate_limit",
    "CONCURRENCY_LIMIT_EXCEEDED": "rate_limit",
    "SSS_REQUEST_LIMIT_EXCEEDED": "rate_limit",
    "EXCEEDED_REQUEST_LIMIT": "rate_limit",
    "ACCT_TEMP_UNAVAILABLE": "connection",
    "UNEXPECTED_ERROR": "connection",
    "SESSION_TIMED_OUT": "connection",
}
TRANSIENT_KINDS = {
    "exceededConcurrentRequestLimitFault",
    "exceededRequestLimitFault",
    "exceededUsageLimitFault",
}
_CREDENTIALS_HINT = (
    "check connections.netsuite consumer_key, consumer_secret, token_id and token_secret "
    "(ORDERBRIDGE__CONNECTIONS__NETSUITE__*) and that the token is not revoked"
)
_ACCOUNT_HINT = (
    "check connections.netsuite.account: the account id as in Setup > Company > "
    "Company Information, e.g. 123456 or 123456_SB1 for a sandbox"
)
_PERMISSION_HINT = (
    "give the token's role the permission named above (Setup > Users/Roles) and enable "
    "SOAP Web Services and Token-based Authentication for the account"
)
_VERSION_HINT = (
    "set netsuite.wsdl_version (ORDERBRIDGE__NETSUITE__WSDL_VERSION)"
    " to a supported endpoint such as 2025_2"
)
CONFIG_CODES = {
    "INVALID_LOGIN": _CREDENTIALS_HINT,
    "INVALID_LOGIN_ATTEMPT": _CREDENTIALS_HINT,
    "INVALID_LOGIN_CREDENTIALS": _CREDENTIALS_HINT,
    "INVALID_SIGNATURE": _CREDENTIALS_HINT,
    "LOGIN_DISABLED": _CREDENTIALS_HINT,
    "INVALID_ACCT": _ACCOUNT_HINT,
    "ACCT_DISABLED": _ACCOUNT_HINT,
    "INSUFFICIENT_PERMISSION": _PERMISSION_HINT,
    "WS_PERMISSION_REQD": _PERMISSION_HINT,
    "WS_FEATURE_REQD": _PERMISSION_HINT,
    "INVALID_ROLE": _PERMISSION_HINT,
    "ROLE_REQUIRED": _PERMISSION_HINT,
    "INVALID_WS_VERSION": _VERSION_HINT,
    "UNSUPPORTED_WS_VERSION": _VERSION_HINT,
}
CONFIG_KINDS = {
    "invalidCredentialsFault": _CREDENTIALS_HINT,
    "invalidAccountFault": _ACCOUNT_HINT,
    "insufficientPermissionFault": _PERMISSION_HINT,
    "invalidVersionFault": _VERSION_HINT,
}
# Record-level codes that name the error-queue class better than "value".
RECORD_CLASSES = {
    "RCRD_DSNT_EXIST": "missing",
    "INVALID_KEY_OR_REF": "missing",
    "INVALID_RCRD_REF": "missing",
    "DUP_ENTITY": "duplicate",
    "DUP_ITEM": "duplicate",
    "DUP_RCRD": "duplicate",
}


class ReplyError(TransientError):
    """The reply is not a usable SOAP envelope (HTML page, truncated, DOCTYPE): nothing read."""

    def __init__(self, message: str) -> None:
        super().__init__(
            message,
            system=SYSTEM,
            error_class="parse",
            hint="NetSuite or a proxy answered with something other than SOAP; see the trace",
        )


def classify(kind: str, code: str, message: str, *, key: str | None = None) -> OrderbridgeError:
    """The error of one fault or request-level status, by its code first, then its kind."""
    text = f"{code}: {message}".strip(": ") if code else message
    if code in TRANSIENT_CODES or kind in TRANSIENT_KINDS:
        error_class = TRANSIENT_CODES.get(code, "rate_limit")
        return TransientError(
            text,
            system=SYSTEM,
            key=key,
            error_class=error_class,
            hint="NetSuite is limiting concurrent or frequent requests; retried with backoff",
        )
    hint = CONFIG_CODES.get(code) or CONFIG_KINDS.get(kind)
    if hint is None and "PERMISSION" in code:
        hint = _PERMISSION_HINT
    if hint is not None:
        return ConfigError(text, system=SYSTEM, key=key, hint=hint)
    return ConfigError(
        text or "NetSuite refused the request",
        system=SYSTEM,
        key=key,
        hint="NetSuite refused the whole request; see the trace and the code above",
    )


def fault_error(fault: Fault) -> OrderbridgeError:
    return classify(fault.kind, fault.code, fault.message)


def status_error(details: Sequence[Detail], what: str) -> OrderbridgeError:
    first = details[0] if details else None
    if first is None:
        return ConfigError(f"{what} failed without a reason", system=SYSTEM)
    return classify("", first.code, first.message, key=what)


def record_rejection(details: Sequence[Detail], external_id: str) -> RecordRejectedError:
    """One record's refusal, carrying its first error code and every message."""
    code = details[0].code if details else "UNKNOWN"
    message = "; ".join(f"{d.code}: {d.message}" for d in details) or "rejected without a reason"
    return RecordRejectedError(
        message,
        system=SYSTEM,
        key=external_id,
        code=code,
        error_class=RECORD_CLASSES.get(code, "value"),
        hint="fix the record in the error queue and retry it",
    )
