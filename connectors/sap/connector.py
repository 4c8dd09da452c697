"""The SAP connector: our contract (check, read_changed, upsert) over the SAP SOAP service.

Sales orders are written with BAPI_SALESORDER_CREATEFROMDAT2 and BAPI_SALESORDER_CHANGE, one
document per call (the BAPIs take one), each under a MessageHeader UUID derived from our
external id so a resend is answered with the original result. Reads go through the ZOB_*
read services (see README.md), paged, by change window or by key.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator, Sequence
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from connectors.base import CheckResult, WriteResult, window_end
from connectors.sap import records
from connectors.sap.client import SYSTEM, SapClient
from core.errors import ConfigError, OrderbridgeError, RecordRejectedError
from core.records import Order, orders_by_key
from core.retry import CircuitBreaker, RetryPolicy, breaker_for, call_with_retry

log = logging.getLogger(__name__)

DEFAULT_SERVICE_PATH = (
    "/sap/bc/srt/rfc/sap/zob_sd_orderbridge/100/zob_sd_orderbridge/zob_sd_orderbridge_binding"
)


Parse = Callable[[dict, records.OrderDefaults], list]


def _documents(parse: Callable[[dict], list]) -> Parse:
    return lambda result, defaults: parse(result)


def _entries(parse: Callable[..., Any], with_defaults: bool = False) -> Parse:
    def parse_page(result: dict, defaults: records.OrderDefaults) -> list:
        extra = (defaults,) if with_defaults else ()
        return [parse(row, *extra) for row in records.rows(result.get("ENTRIES"))]

    return parse_page


# entity -> (read operation, parser of one page, table that counts the page)
READS: dict[str, tuple[str, Parse, str]] = {
    "order": ("ZOB_SALESORDER_GETLIST", _documents(records.parse_orders), "HEADERS"),
    "shipment": ("ZOB_DELIVERY_GETLIST", _documents(records.parse_shipments), "HEADERS"),
    "invoice": ("ZOB_BILLINGDOC_GETLIST", _documents(records.parse_invoices), "HEADERS"),
    "customer": ("ZOB_CUSTOMER_GETLIST", _entries(records.parse_customer, True), "ENTRIES"),
    "item": ("ZOB_MATERIAL_GETLIST", _entries(records.parse_item), "ENTRIES"),
    "price": ("ZOB_PRICE_GETLIST", _entries(records.parse_price, True), "ENTRIES"),
    "availability": ("ZOB_AVAILABILITY_GETLIST", _entries(records.parse_availability), "ENTRIES"),
}
ALIASES = {
    "orders": "order",
    "sales_order": "order",
    "shipments": "shipment",
    "delivery": "shipment",
    "invoices": "invoice",
    "billing_document": "invoice",
    "customers": "customer",
    "items": "item",
    "prices": "price",
    "price_list": "price",
}


def _entity(name: str) -> str:
    entity = ALIASES.get(name, name)
    if entity not in READS:
        raise ConfigError(
            f"SAP has no entity {name!r}", system=SYSTEM, hint="one of " + ", ".join(READS)
        )
    return entity


class SapConnector:
    system = SYSTEM
    reads = frozenset(READS)

    def __init__(
        self,
        client: SapClient,
        *,
        defaults: records.OrderDefaults | None = None,
        page_size: int = 500,
        test_run: bool = False,
        retry: RetryPolicy | None = None,
        breaker: CircuitBreaker | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.client = client
        self.defaults = defaults or records.OrderDefaults()
        self.page_size = page_size
        self.test_run = test_run
        self.retry = retry or RetryPolicy()
        self.breaker = breaker if breaker is not None else breaker_for(SYSTEM)
        self.sleep = sleep

    @property
    def api_calls(self) -> int:
        """SOAP operation calls made so far (every attempt counts; WSDL downloads do not)."""
        return self.client.posts

    def _call(self, operation: str, **params: Any) -> dict:
        return call_with_retry(
            lambda: self.client.call(operation, **params),
            system=SYSTEM,
            policy=self.retry,
            breaker=self.breaker,
            sleep=self.sleep,
        )

    # ------------------------------------------------------------ check

    def check(self) -> CheckResult:
        """One cheap read: OK with latency, or what is wrong and what to do."""
        started = time.monotonic()
        try:
            self._read_page("ZOB_CUSTOMER_GETLIST", {"MAX_ROWS": 1})
        except OrderbridgeError as exc:
            elapsed = int((time.monotonic() - started) * 1000)
            return CheckResult(SYSTEM, False, elapsed, exc.message, exc.hint or "")
        elapsed = int((time.monotonic() - started) * 1000)
        host = urlsplit(self.client.endpoint).hostname or self.client.endpoint
        return CheckResult(SYSTEM, True, elapsed, f"{host} answered")

    # ------------------------------------------------------------ reads

    def _read_page(self, operation: str, params: dict[str, Any]) -> dict:
        result = call_with_retry(
            lambda: self.client.call(operation, **params),
            system=SYSTEM,
            policy=RetryPolicy(attempts=1),
        )
        messages = records.parse_return(records.rows(result.get("RETURN")))
        if messages.failed:
            raise ConfigError(
                f"{operation}: " + "; ".join(messages.errors),
                system=SYSTEM,
                hint="SAP refused the read; check the communication user's authorisations",
            )
        return result

    def _pages(self, entity: str, selection: dict[str, Any]) -> Iterator[Any]:
        operation, parse, counted = READS[_entity(entity)]
        skip = 0
        while True:
            params = {**selection, "MAX_ROWS": self.page_size, "SKIP_ROWS": skip}
            result = self._call(operation, **params)
            messages = records.parse_return(records.rows(result.get("RETURN")))
            if messages.failed:
                raise ConfigError(f"{operation}: " + "; ".join(messages.errors), system=SYSTEM)
            yield from parse(result, self.defaults)
            page = len(records.rows(result.get(counted)))
            skip += page
            if records.text(result.get("MORE")) != "X" or page == 0:
                return

    def read_changed(self, entity: str, since: datetime, until: datetime) -> Iterator[Any]:
        """Records of the entity changed in [since, until), oldest first, page by page."""
        until = window_end(until)  # SAP timestamps are whole seconds
        selection = {
            "CHANGED_FROM": records.sap_timestamp(since),
            "CHANGED_TO": records.sap_timestamp(until),
        }
        return self._pages(entity, selection)

    def read(self, entity: str, keys: Sequence[str]) -> list[Any]:
        """Records by key: document number or our external id (orders), number otherwise."""
        found: list[Any] = []
        for start in range(0, len(keys), self.page_size):
            chunk = list(keys[start : start + self.page_size])
            selection = {"KEYS": {"item": [{"KEY": key} for key in chunk]}}
            found.extend(self._pages(entity, selection))
        return found

    def get_order(self, key: str) -> Order | None:
        orders = self.read("order", [key])
        return orders[0] if orders else None

    # ------------------------------------------------------------ writes

    def upsert(self, entity: str, items: Sequence[Any]) -> list[WriteResult]:
        """Create or change sales orders keyed by external id; one result per record."""
        return self._send(entity, items, self.test_run)

    def simulate(self, entity: str, items: Sequence[Any]) -> list[WriteResult]:
        """What upsert would answer, nothing posted: the same BAPIs in their test mode
        (TESTRUN on create, SIMULATION on change), SAP's own checks read from RETURN."""
        return self._send(entity, items, True)

    def _send(self, entity: str, items: Sequence[Any], test_run: bool) -> list[WriteResult]:
        if _entity(entity) != "order":
            raise ConfigError(
                f"SAP writes only sales orders, not {entity!r}",
                system=SYSTEM,
                hint="master data is maintained in SAP itself",
            )
        keys = [order.external_id for order in items if order.external_id]
        current = orders_by_key(self.read("order", keys), keys)
        return [
            self._write(order, current.get(order.external_id or ""), test_run) for order in items
        ]

    def _write(self, order: Order, current: Order | None, test_run: bool) -> WriteResult:
        key = order.external_id or ""
        if not key:
            return WriteResult(key, False, message="the order has no external id", code="missing")
        # A TransientError is the system's failure, not this record's outcome: it propagates, as
        # from every connector, and the runner carries the record out again (its UUID makes the
        # repeat safe).
        try:
            if current is None:
                return self._create(order, test_run)
            return self._change(order, current, test_run)
        except records.FieldTooLongError as exc:
            return WriteResult(key, False, code="too_long", message=str(exc))
        except RecordRejectedError as exc:
            return WriteResult(key, False, code=exc.code, message=exc.message)

    def _create(self, order: Order, test_run: bool) -> WriteResult:
        params = records.build_order_create(order, self.defaults, test_run=test_run)
        if test_run:
            # A test run posts nothing, so it must not claim the UUID of the real create.
            params.pop("MessageHeader")
        result = self._call(
            "BAPI_SALESORDER_CREATEFROMDAT2", record_key=order.external_id, **params
        )
        number = records.text(result.get("SALESDOCUMENT"))
        return self._result(order.external_id or "", result, number, True, test_run)

    def _change(self, order: Order, current: Order, test_run: bool) -> WriteResult:
        params = records.build_order_change(order, current, self.defaults, test_run=test_run)
        key = order.external_id or ""
        if params is None:
            return WriteResult(key, True, their_id=current.number, message="unchanged")
        if test_run:
            params.pop("MessageHeader")
        result = self._call("BAPI_SALESORDER_CHANGE", record_key=key, **params)
        return self._result(key, result, current.number, False, test_run)

    def _result(
        self, key: str, result: dict, number: str, created: bool, test_run: bool
    ) -> WriteResult:
        messages = records.parse_return(records.rows(result.get("RETURN")))
        if messages.failed:
            return WriteResult(
                key,
                False,
                code=messages.first_error_code,
                message="; ".join(messages.errors),
                warnings=messages.warnings,
            )
        if test_run:
            verb = "created" if created else "changed"
            message = f"test run: would be {verb}, nothing posted"
            return WriteResult(
                key, True, their_id=number or None, message=message, warnings=messages.warnings
            )
        if not number:
            return WriteResult(
                key,
                False,
                message="SAP returned no sales document number",
                warnings=messages.warnings,
            )
        verb = "created" if created else "changed"
        return WriteResult(key, True, their_id=number, message=verb, warnings=messages.warnings)


def from_settings(settings: Any) -> SapConnector:
    conf = settings.connections.sap
    client = SapClient(
        url=conf.url,
        service_path=conf.get("service_path") or DEFAULT_SERVICE_PATH,
        username=conf.get("username"),
        password=conf.get("password"),
        timeout=float(conf.get("timeout_seconds") or 30),
        wsdl_dir=settings.data_path / "wsdl",
    )
    base = records.OrderDefaults()
    defaults = records.OrderDefaults(
        **{
            name: str(conf.get(name) if conf.get(name) is not None else getattr(base, name))
            for name in base.__dataclass_fields__
        }
    )
    return SapConnector(
        client,
        defaults=defaults,
        page_size=int(conf.get("page_size") or 500),
        test_run=bool(conf.get("test_run") or False),
    )
