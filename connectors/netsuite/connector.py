"""The NetSuite connector: our contract (check, read_changed, upsert) over the SOAP client.

Reads search by lastModifiedDate over [since - lookback, until] and page with
searchMoreWithId; writes upsertList keyed by externalId in batches, each record's outcome read
from its own writeResponse. Retries only classified transient errors.
"""

from __future__ import annotations

import gc
import logging
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from connectors.base import CheckResult, WriteResult, window_end
from connectors.netsuite import records, simulate, wsdl
from connectors.netsuite.auth import Credentials, realm
from connectors.netsuite.client import NetSuiteClient
from connectors.netsuite.faults import SYSTEM, ReplyError, record_rejection
from connectors.netsuite.slots import AccountSlots
from core.errors import ConfigError, OrderbridgeError, RecordRejectedError, TransientError
from core.retry import RetryPolicy, breaker_for, call_with_retry

log = logging.getLogger(__name__)
UPSERT_LIMIT = 200  # SuiteTalk's upsertList limit for synchronous requests
AVAILABILITY_BATCH = 100


@dataclass(frozen=True)
class Entity:
    search: str
    record_type: str | None
    parse: Callable[[Any], Any]
    many: bool = False


ENTITIES = {
    "customer": Entity("CustomerSearchBasic", None, records.parse_customer),
    "ship_to": Entity("CustomerSearchBasic", None, records.parse_ship_tos, many=True),
    "item": Entity("ItemSearchBasic", "_inventoryItem", records.parse_item),
    "price": Entity("ItemSearchBasic", "_inventoryItem", records.parse_price_list, many=True),
    "order": Entity("TransactionSearchBasic", "_salesOrder", records.parse_order),
    "shipment": Entity("TransactionSearchBasic", "_itemFulfillment", records.parse_shipment),
    "invoice": Entity("TransactionSearchBasic", "_invoice", records.parse_invoice),
    "return": Entity("TransactionSearchBasic", "_returnAuthorization", records.parse_return),
}
# entity -> the RecordType a getList reference names (reads by our external id)
GET_TYPES = {
    "customer": "customer",
    "item": "inventoryItem",
    "order": "salesOrder",
    "shipment": "itemFulfillment",
    "invoice": "invoice",
    "return": "returnAuthorization",
}
GET_LIMIT = 1000  # getList references per request
BUILDERS = {
    "customer": records.build_customer,
    "item": records.build_item,
    "order": records.build_order,
    "shipment": records.build_shipment,
    "invoice": records.build_invoice,
    "return": records.build_return,
}


@contextmanager
def collector_held_off() -> Iterator[None]:
    """Python's cyclic garbage collector held off while a page of records is built. A page's
    records hold no cycles, yet each one (order, lines, quantities, money) is a tracked object,
    so building a thousand of them sets off collections that find nothing and cost more than
    the reading; reference counting still frees everything as usual."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def parse_page(entity: str, elements: Sequence[Any]) -> list[Any]:
    """One search page's record elements as canonical records of the entity; a record we cannot
    map is rejected with its internal id."""
    spec = ENTITIES[entity]
    found: list[Any] = []
    with collector_held_off():
        for element in elements:
            try:
                parsed = spec.parse(element)
            except (ValueError, ArithmeticError, KeyError) as exc:
                raise RecordRejectedError(
                    f"cannot read {entity} record: {exc}",
                    system=SYSTEM,
                    key=element.get("internalId"),
                    error_class="parse",
                    hint="the record holds a value we cannot map; see the trace",
                ) from None
            if spec.many:
                found.extend(parsed)
            else:
                found.append(parsed)
    return found


@dataclass(frozen=True)
class NetSuiteSettings:
    credentials: Credentials
    version: str
    timeout: float
    page_size: int
    batch_size: int
    concurrency: int
    lookback: timedelta
    data_path: Path
    database_url: str | None

    @classmethod
    def from_settings(cls, settings: Any) -> NetSuiteSettings:
        conn = settings.connections.netsuite
        missing = [
            k
            for k in ("account", "consumer_key", "consumer_secret", "token_id", "token_secret")
            if not conn.get(k)
        ]
        if missing:
            raise ConfigError(
                "missing " + ", ".join(missing),
                system=SYSTEM,
                key="connections.netsuite",
                hint="set ORDERBRIDGE__CONNECTIONS__NETSUITE__" + missing[0].upper(),
            )
        batch = int(conn.get("batch_size", UPSERT_LIMIT))
        if not 1 <= batch <= UPSERT_LIMIT:
            raise ConfigError(
                f"batch_size {batch} is outside 1..{UPSERT_LIMIT}",
                system=SYSTEM,
                key="connections.netsuite.batch_size",
                hint="upsertList takes at most 200 records per request",
            )
        return cls(
            credentials=Credentials(
                str(conn.account),
                str(conn.consumer_key),
                str(conn.consumer_secret),
                str(conn.token_id),
                str(conn.token_secret),
            ),
            version=wsdl.check_version(str(settings.netsuite.wsdl_version)),
            timeout=float(conn.get("timeout_seconds", 30)),
            page_size=int(conn.get("page_size", 1000)),
            batch_size=batch,
            concurrency=int(conn.get("concurrency", 2)),
            lookback=timedelta(seconds=int(conn.get("lookback_seconds", 0))),
            data_path=settings.data_path,
            database_url=settings.get("database_url"),
        )


def fetch_wsdl(settings: Any, *, force: bool = True) -> Path:
    """`run.py connector fetch-wsdl netsuite`: download this version's bundle; its path."""
    config = NetSuiteSettings.from_settings(settings)
    return wsdl.fetch_wsdl(config.data_path, config.version, config.timeout, force=force)


class NetSuiteConnector:
    system = SYSTEM
    reads = frozenset([*ENTITIES, "availability"])

    def __init__(
        self,
        config: NetSuiteSettings,
        *,
        retry: RetryPolicy | None = None,
        sleep: Callable[[float], None] = time.sleep,
        client_factory: Callable[..., NetSuiteClient] = NetSuiteClient,
    ) -> None:
        self.config = config
        self.retry = retry or RetryPolicy()
        self.sleep = sleep
        self._client_factory = client_factory
        self._client: NetSuiteClient | None = None

    @property
    def api_calls(self) -> int:
        return self._client.calls if self._client is not None else 0

    @property
    def client(self) -> NetSuiteClient:
        if self._client is None:
            c = self.config
            slots = AccountSlots(
                realm(c.credentials.account),
                c.concurrency,
                lock_dir=c.data_path / "locks",
                database_url=c.database_url,
                wait_seconds=max(c.timeout, 5.0),
            )
            self._client = self._client_factory(
                credentials=c.credentials,
                version=c.version,
                wsdl_path=wsdl.fetch_wsdl(c.data_path, c.version, c.timeout),
                timeout=c.timeout,
                slots=slots,
                page_size=c.page_size,
            )
        return self._client

    def _retrying(self, fn: Callable[[], Any]) -> Any:
        return call_with_retry(
            fn, system=SYSTEM, policy=self.retry, breaker=breaker_for(SYSTEM), sleep=self.sleep
        )

    # ---- check ------------------------------------------------------------------------------

    def check(self) -> CheckResult:
        account = realm(self.config.credentials.account)
        started = time.monotonic()
        try:
            self.client.server_time()
        except OrderbridgeError as exc:
            elapsed = int((time.monotonic() - started) * 1000)
            kind = "unreachable or not answering" if isinstance(exc, TransientError) else "refused"
            return CheckResult(
                SYSTEM, False, elapsed, f"NetSuite {account} {kind}: {exc.message}", exc.hint or ""
            )
        elapsed = int((time.monotonic() - started) * 1000)
        return CheckResult(
            SYSTEM,
            True,
            elapsed,
            f"NetSuite {account} OK in {elapsed} ms (endpoint {self.config.version})",
        )

    # ---- reading ----------------------------------------------------------------------------

    def _criteria(self, entity: Entity, since: datetime, until: datetime) -> dict[str, Any]:
        fields: dict[str, Any] = {
            "lastModifiedDate": {
                "operator": "within",
                "searchValue": since - self.config.lookback,
                "searchValue2": window_end(until),  # lastModifiedDate is whole seconds
            }
        }
        if entity.record_type:
            fields["type"] = {"operator": "anyOf", "searchValue": [entity.record_type]}
        return fields

    def search_pages(self, search: str, fields: dict[str, Any]) -> Iterator[list[Any]]:
        """Every page of a search, first by search, then by searchMoreWithId."""
        page = self._retrying(lambda: self.client.search(search, fields))
        yield page.records
        search_id = page.search_id
        for index in range(2, page.total_pages + 1):
            more = self._retrying(lambda i=index: self.client.search_more(search_id, i))
            yield more.records

    def read_changed(self, entity: str, since: datetime, until: datetime) -> Iterator[Any]:
        if entity == "availability":
            yield from self._availability(since)
            return
        spec = ENTITIES.get(entity)
        if spec is None:
            raise ConfigError(
                f"no NetSuite entity {entity!r}",
                system=SYSTEM,
                hint="one of " + ", ".join(sorted([*ENTITIES, "availability"])),
            )
        for page in self.search_pages(spec.search, self._criteria(spec, since, until)):
            yield from parse_page(entity, page)

    def read(self, entity: str, keys: Sequence[str]) -> list[Any]:
        """Records by our external id (getList); keys NetSuite does not know are left out."""
        record_type = GET_TYPES.get(entity)
        if record_type is None:
            raise ConfigError(
                f"cannot read NetSuite {entity!r} by key",
                system=SYSTEM,
                hint="one of " + ", ".join(sorted(GET_TYPES)),
            )
        found: list[Any] = []
        for start in range(0, len(keys), GET_LIMIT):
            refs = [{"externalId": k, "type": record_type} for k in keys[start : start + GET_LIMIT]]
            for status, element in self._retrying(lambda r=refs: self.client.get_list(r)):
                if status.ok and element is not None:
                    found.append(ENTITIES[entity].parse(element))
        return found

    def _availability(self, since: datetime) -> Iterator[Any]:
        ids: list[str] = []
        item_search = {"type": {"operator": "anyOf", "searchValue": ["_inventoryItem"]}}
        for page in self.search_pages("ItemSearchBasic", item_search):
            ids.extend(e.get("internalId") for e in page if e.get("internalId"))
        changed_since = since - self.config.lookback
        for start in range(0, len(ids), AVAILABILITY_BATCH):
            batch = ids[start : start + AVAILABILITY_BATCH]
            found = self._retrying(lambda b=batch: self.client.item_availability(b, changed_since))
            for element in found:
                yield records.parse_availability(element)

    # ---- writing ----------------------------------------------------------------------------

    def _build(self, entity: str, items: Sequence[Any]) -> list[tuple[list[str], Any]]:
        """(external ids covered, (type, fields)) per NetSuite record to write."""
        if entity in ("ship_to", "ship_to_book"):
            groups: dict[str, list[Any]] = {}
            for s in items:
                groups.setdefault(s.customer_number, []).append(s)
            build = records.build_ship_tos if entity == "ship_to" else _whole_address_book
            return [
                ([s.external_id or f"{n}/{s.code}" for s in g], build(n, g))
                for n, g in groups.items()
            ]
        if entity == "price":
            by_sku: dict[str, list[Any]] = {}
            for p in items:
                by_sku.setdefault(p.sku, []).append(p)
            return [
                (
                    [p.external_id or f"{sku}/{p.price_level}" for p in g],
                    records.build_price_list(sku, g),
                )
                for sku, g in by_sku.items()
            ]
        builder = BUILDERS.get(entity)
        if entity == "order":
            builder = self._order_builder(items)
        if builder is None:
            raise ConfigError(
                f"cannot write NetSuite entity {entity!r}",
                system=SYSTEM,
                hint="one of " + ", ".join(sorted([*BUILDERS, "ship_to", "ship_to_book", "price"])),
            )
        built: list[tuple[list[str], Any]] = []
        for item in items:
            try:
                type_name, fields = builder(item)
            except (ValueError, TypeError, AttributeError, ArithmeticError) as exc:
                # A record our builder cannot map is refused alone, before anything is sent.
                key = getattr(item, "external_id", None) or getattr(item, "number", "?")
                built.append(([key], ValueError(f"{type(exc).__name__}: {exc}")))
                continue
            built.append(([fields["externalId"]], (type_name, fields)))
        return built

    def _order_builder(self, orders: Sequence[Any]) -> Callable[[Any], tuple[str, Any]]:
        """build_order with each order's ship-to as its customer's address book entry, read
        once for the batch (SuiteTalk names a sales order's ship-to by the entry's internalId)."""
        wanted = sorted({o.customer_number for o in orders if o.ship_to_code})
        entries: dict[tuple[str, str], str] = {}
        for start in range(0, len(wanted), GET_LIMIT):
            refs = [
                {"externalId": k, "type": "customer"} for k in wanted[start : start + GET_LIMIT]
            ]
            for status, element in self._retrying(lambda r=refs: self.client.get_list(r)):
                if status.ok and element is not None:
                    for ship_to in records.parse_ship_tos(element):
                        entries[(ship_to.customer_number, ship_to.code)] = ship_to.source_key

        def build(order: Any) -> tuple[str, Any]:
            entry = entries.get((order.customer_number, order.ship_to_code))
            return records.build_order(order, entry)

        return build

    def simulate(self, entity: str, items: Sequence[Any]) -> list[WriteResult]:
        """What upsert would answer, read from the records NetSuite holds (connectors/netsuite/
        simulate.py); nothing is written."""
        reader = simulate.Reader(lambda refs: self._retrying(lambda: self.client.get_list(refs)))
        return simulate.simulate(reader, entity, items)

    def upsert(self, entity: str, items: Sequence[Any]) -> list[WriteResult]:
        results: list[WriteResult] = []
        built = self._build(entity, items)
        size = self.config.batch_size
        for start in range(0, len(built), size):
            results.extend(self._upsert_batch(built[start : start + size]))
        return results

    def _objects(self, batch: list[tuple[list[str], Any]]) -> tuple[dict[int, Any], dict[int, str]]:
        """zeep objects by batch position, and why the others could not be built."""
        client = self.client
        objects: dict[int, Any] = {}
        refused: dict[int, str] = {}
        for index, (_keys, built) in enumerate(batch):
            if isinstance(built, ValueError):
                refused[index] = str(built)
                continue
            try:
                objects[index] = client.record(*built)
            except ValueError as exc:
                refused[index] = str(exc)
        try:
            if objects:
                client.serialisable("upsertList", record=list(objects.values()))
        except ValueError:
            # Only when the batch as a whole fails: find the records that cannot be sent.
            for index in list(objects):
                try:
                    client.serialisable("upsertList", record=[objects[index]])
                except ValueError as exc:
                    refused[index] = str(exc)
                    del objects[index]
        return objects, refused

    def _upsert_batch(self, batch: list[tuple[list[str], Any]]) -> list[WriteResult]:
        objects, refused = self._objects(batch)
        order = sorted(objects)
        outcomes = (
            self._retrying(lambda: self.client.upsert_list([objects[i] for i in order]))
            if order
            else []
        )
        if len(outcomes) != len(order):
            raise ReplyError(
                f"upsertList answered {len(outcomes)} results for {len(order)} records"
            )
        by_index = dict(zip(order, outcomes, strict=True))
        results: list[WriteResult] = []
        for index, (keys, _built) in enumerate(batch):
            if index in refused:
                results.extend(
                    WriteResult(k, False, code="BUILD", message=refused[index]) for k in keys
                )
            else:
                results.extend(self._result(keys, by_index[index]))
        return results

    @staticmethod
    def _result(keys: list[str], outcome: Any) -> list[WriteResult]:
        warnings = [f"{d.code}: {d.message}" for d in outcome.status.details if d.type == "WARN"]
        if outcome.status.ok:
            return [
                WriteResult(k, True, their_id=outcome.internal_id, warnings=warnings) for k in keys
            ]
        error = record_rejection(outcome.status.errors or outcome.status.details, keys[0])
        return [
            WriteResult(
                k,
                False,
                code=error.code,
                message=error.message,
                error_class=error.error_class,
                warnings=warnings,
            )
            for k in keys
        ]


def _whole_address_book(customer_number: str, ship_tos: list[Any]) -> tuple[str, Any]:
    """The customer's complete address book: lines not sent are removed (replaceAll true, the
    only way SOAP removes one; address book lines have no inactive flag). Lines read from
    NetSuite keep their internalId, so they stay the same addresses rather than new ones."""
    type_name, fields = records.build_ship_tos(customer_number, ship_tos)
    book = fields["addressbookList"]
    for line, ship_to in zip(book["addressbook"], ship_tos, strict=True):
        if ship_to.source_system == SYSTEM and ship_to.source_key:
            line["internalId"] = ship_to.source_key
    book["replaceAll"] = True
    return type_name, fields


def from_settings(settings: Any) -> NetSuiteConnector:
    return NetSuiteConnector(NetSuiteSettings.from_settings(settings))
