"""The SOAP edge to SAP: the only module that imports zeep for SAP.

The WSDL is fetched once from the endpoint (`?wsdl`, HTTP Basic) into the data folder and
loaded from there; zeep runs strict with DTDs, entities and external references forbidden
and an operation timeout on every call. Every failure leaves here as one of our errors.
"""

from __future__ import annotations

import hashlib
import logging
import os
from pathlib import Path
from typing import Any

import requests
from lxml import etree
from zeep import Client, Settings
from zeep import exceptions as zeep_errors
from zeep.helpers import serialize_object
from zeep.transports import Transport

from core.errors import ConfigError, RecordRejectedError, TransientError
from core.http import new_session

log = logging.getLogger(__name__)

SYSTEM = "sap"
NS = "urn:sap-com:document:sap:rfc:functions"
WSDL_NS = "http://schemas.xmlsoap.org/wsdl/"
AUTH_HINT = (
    "check ORDERBRIDGE__CONNECTIONS__SAP__USERNAME and ORDERBRIDGE__CONNECTIONS__SAP__PASSWORD "
    "(the communication user of the SOAMANAGER endpoint)"
)


HOSTILE = {
    zeep_errors.DTDForbidden: "a DOCTYPE",
    zeep_errors.EntitiesForbidden: "an entity",
    zeep_errors.ExternalReferenceForbidden: "an external reference",
}


def _retry_after(response: requests.Response | None) -> float | None:
    value = response.headers.get("Retry-After") if response is not None else None
    try:
        return float(value) if value else None
    except ValueError:
        return None


def _http_error(status: int, response: requests.Response | None, what: str) -> Exception:
    if status == 401:
        return ConfigError(f"{what}: logon failed (HTTP 401)", system=SYSTEM, hint=AUTH_HINT)
    if status == 403:
        return ConfigError(
            f"{what}: not authorised (HTTP 403)",
            system=SYSTEM,
            hint="give the communication user the authorisation for the service",
        )
    if status == 404:
        return ConfigError(
            f"{what}: no such service (HTTP 404)",
            system=SYSTEM,
            key="connections.sap.service_path",
            hint="check the endpoint path configured in SOAMANAGER",
        )
    if status in (408, 429) or status >= 500:
        return TransientError(
            f"{what}: HTTP {status}",
            system=SYSTEM,
            retry_after=_retry_after(response),
            error_class="rate_limit" if status == 429 else "connection",
        )
    if status == 200:
        return TransientError(
            f"{what}: the reply is not a SOAP envelope (truncated, or an HTML page)",
            system=SYSTEM,
            error_class="parse",
            hint="a proxy or the ICM may have answered instead of the service",
        )
    return ConfigError(f"{what}: HTTP {status}", system=SYSTEM)


def _safe_parser() -> etree.XMLParser:
    return etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)


def check_wsdl(content: bytes) -> None:
    """Refuse a WSDL that is not one, or that declares a DTD or entities."""
    try:
        root = etree.fromstring(content, parser=_safe_parser())
    except etree.XMLSyntaxError as exc:
        raise TransientError(
            "the WSDL download is not well-formed XML", system=SYSTEM, error_class="parse"
        ) from exc
    if root.getroottree().docinfo.doctype:
        raise TransientError(
            "the WSDL download declares a DOCTYPE; refused", system=SYSTEM, error_class="parse"
        )
    if root.tag != f"{{{WSDL_NS}}}definitions" or root.get("targetNamespace") != NS:
        raise ConfigError(
            "the endpoint's WSDL is not the SAP RFC service we expect",
            system=SYSTEM,
            key="connections.sap.service_path",
            hint=f"the WSDL must define targetNamespace {NS}",
        )


class SapClient:
    """Calls operations of the SAP service and returns plain dicts."""

    def __init__(
        self,
        *,
        url: str,
        service_path: str,
        username: str | None,
        password: str | None,
        timeout: float,
        wsdl_dir: Path,
    ) -> None:
        if not username or not password:
            raise ConfigError("SAP credentials are not set", system=SYSTEM, hint=AUTH_HINT)
        self.endpoint = url.rstrip("/") + service_path
        self.timeout = timeout
        self.wsdl_dir = Path(wsdl_dir)
        self.posts = 0
        self._last_response: requests.Response | None = None
        self.session = new_session(SYSTEM, timeout)
        self.session.auth = (username, password)
        self.session.hooks["response"].append(self._on_response)
        self._service: Any = None

    def _on_response(self, response: requests.Response, *args: Any, **kwargs: Any) -> None:
        self._last_response = response
        if response.request.method == "POST":
            self.posts += 1

    @property
    def wsdl_path(self) -> Path:
        digest = hashlib.sha256(self.endpoint.encode()).hexdigest()[:16]
        return self.wsdl_dir / f"sap-{digest}.wsdl"

    def fetch_wsdl(self) -> Path:
        """Download the WSDL once into the data folder (again only if the file is removed)."""
        path = self.wsdl_path
        if path.exists():
            return path
        try:
            response = self.session.get(self.endpoint, params={"wsdl": ""})
        except requests.RequestException as exc:
            raise TransientError(
                f"cannot fetch the WSDL: {type(exc).__name__}", system=SYSTEM
            ) from exc
        if response.status_code != 200:
            raise _http_error(response.status_code, response, "WSDL download")
        check_wsdl(response.content)
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_suffix(f".{os.getpid()}.part")
        partial.write_bytes(response.content)
        partial.replace(path)
        return path

    def _proxy(self) -> Any:
        if self._service is None:
            settings = Settings(
                strict=True,
                forbid_dtd=True,
                forbid_entities=True,
                forbid_external=True,
                xml_huge_tree=False,
            )
            transport = Transport(
                session=self.session, timeout=self.timeout, operation_timeout=self.timeout
            )
            client = Client(str(self.fetch_wsdl()), transport=transport, settings=settings)
            binding = f"{{{NS}}}ZOB_SD_ORDERBRIDGE_BINDING"
            self._service = client.create_service(binding, self.endpoint)
        return self._service

    def call(self, operation: str, *, record_key: str | None = None, **params: Any) -> dict:
        """Call one operation; record_key makes a request refused by SAP a record rejection."""
        proxy = self._proxy()
        try:
            result = getattr(proxy, operation)(**params)
        except zeep_errors.Fault as exc:
            status = self._last_response.status_code if self._last_response is not None else 0
            if exc.code is None or status not in (200, 500):
                # No SOAP fault inside: an HTML page (ICM logon, proxy) that parsed as XML.
                raise _http_error(status, self._last_response, operation) from None
            raise self._fault(operation, exc, record_key) from None
        except zeep_errors.TransportError as exc:
            raise _http_error(exc.status_code, self._last_response, operation) from None
        except tuple(HOSTILE) as exc:
            raise TransientError(
                f"{operation}: the reply declares {HOSTILE[type(exc)]}; refused",
                system=SYSTEM,
                error_class="parse",
                hint="something between us and SAP answered with hostile XML",
            ) from None
        except (zeep_errors.XMLSyntaxError, zeep_errors.XMLParseError, etree.XMLSyntaxError):
            raise _http_error(200, self._last_response, operation) from None
        except zeep_errors.ValidationError as exc:
            raise RecordRejectedError(
                f"{operation}: {exc.message}", system=SYSTEM, key=record_key
            ) from None
        except requests.Timeout:
            raise TransientError(f"{operation}: timed out", system=SYSTEM) from None
        except requests.RequestException as exc:
            raise TransientError(f"{operation}: {type(exc).__name__}", system=SYSTEM) from None
        return serialize_object(result, dict) or {}

    @staticmethod
    def _fault(operation: str, exc: zeep_errors.Fault, record_key: str | None) -> Exception:
        code = str(exc.code or "")
        message = f"{operation}: SOAP fault {exc.message}"
        if code.endswith("Client") or code.endswith("Sender"):
            if record_key is not None:
                return RecordRejectedError(message, system=SYSTEM, key=record_key)
            return ConfigError(message, system=SYSTEM, hint="the request does not fit the WSDL")
        return TransientError(message, system=SYSTEM)
