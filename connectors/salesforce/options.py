"""The Salesforce connection settings, checked once: which auth flow, which credentials, limits.

Read from `connections.salesforce.*`; secrets (password, security_token, client_secret,
private_key) come from the environment, or the sandbox's published values in default.yaml.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlparse

from core.errors import ConfigError

AUTH_FLOWS = ("password", "jwt", "client_credentials")
KEY = "connections.salesforce"
# What each flow needs besides the domain.
REQUIRED = {
    "password": ("username", "password", "security_token"),
    "jwt": ("username", "client_id", "private_key"),
    "client_credentials": ("client_id", "client_secret", "instance_url"),
}


@dataclass(frozen=True)
class SalesforceOptions:
    auth: str = "password"
    domain: str = "login"
    instance_url: str = ""
    username: str | None = None
    password: str | None = None
    security_token: str | None = None
    client_id: str | None = None
    client_secret: str | None = None
    private_key: str | None = None
    api_version: str = "59.0"
    timeout_seconds: float = 30.0
    external_id_field: str = "Orderbridge_Id__c"
    lookback_seconds: int = 60
    query_batch_size: int = 2000
    bulk_threshold: int = 2000
    bulk_job_rows: int = 100_000
    bulk_timeout_seconds: float = 600.0
    bulk_poll_seconds: float = 0.5
    quota_pause_share: float = 0.8
    quota_park_seconds: float = 3600.0

    @property
    def my_domain(self) -> str:
        """'acme.my' from https://acme.my.salesforce.com: the client-credentials token host."""
        host = urlparse(self.instance_url).hostname or ""
        if not host.endswith(".salesforce.com"):
            raise ConfigError(
                "client_credentials needs the org's My Domain URL",
                system="salesforce",
                key=f"{KEY}.instance_url",
                hint="set it to https://<your-domain>.my.salesforce.com",
            )
        return host[: -len(".salesforce.com")]


def _version(value: Any) -> str:
    try:
        return f"{float(str(value).lstrip('v')):.1f}"
    except ValueError:
        raise ConfigError(
            f"expected an API version such as 59.0, got {value!r}",
            system="salesforce",
            key=f"{KEY}.api_version",
        ) from None


def _share(value: Any) -> float:
    share = float(value)
    if not 0 < share <= 1:
        raise ConfigError(
            f"expected a share between 0 and 1, got {value!r}",
            system="salesforce",
            key=f"{KEY}.quota_pause_share",
        )
    return share


def options_from_settings(section: Mapping[str, Any]) -> SalesforceOptions:
    """Validated options from `settings.connections.salesforce`; ConfigError names the key."""
    auth = section.get("auth") or "password"
    if auth not in AUTH_FLOWS:
        raise ConfigError(
            f"unknown auth flow {auth!r}",
            system="salesforce",
            key=f"{KEY}.auth",
            hint="one of " + ", ".join(AUTH_FLOWS),
        )
    for name in REQUIRED[auth]:
        if section.get(name) in (None, ""):
            raise ConfigError(
                f"the {auth} flow needs {name}",
                system="salesforce",
                key=f"{KEY}.{name}",
                hint=f"set ORDERBRIDGE__CONNECTIONS__SALESFORCE__{name.upper()}",
            )
    defaults = SalesforceOptions()
    known = SalesforceOptions.__dataclass_fields__
    values = {k: v for k, v in section.items() if k in known and v is not None}
    values["api_version"] = _version(values.get("api_version", defaults.api_version))
    values["quota_pause_share"] = _share(values.get("quota_pause_share", 0.8))
    for name in ("username", "password", "security_token", "client_id", "client_secret"):
        if name in values:
            values[name] = str(values[name])
    options = SalesforceOptions(**values)
    if auth == "client_credentials":
        options.my_domain  # noqa: B018  (raises ConfigError for a non-My-Domain URL)
    return options
