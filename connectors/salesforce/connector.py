"""The Salesforce connector: our contract (check, read_changed, upsert) over SalesforceClient.

Entities: customer, ship_to, item, price, order (read and upsert) and order_writeback (the
ERP's answer written onto Orders by Id). Writes go by sObject Collections, 200 records a call,
up to `bulk_threshold` records, and by Bulk API 2.0 ingest jobs above it; either way each
record gets its own WriteResult. Before starting non-urgent work a job asks `should_pause`.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from connectors.base import CheckResult, WriteResult, window_end
from connectors.salesforce import records as r
from connectors.salesforce.client import SalesforceClient
from connectors.salesforce.options import KEY, SalesforceOptions, options_from_settings
from core.errors import ConfigError, OrderbridgeError, RecordRejectedError
from core.http import new_session

SYSTEM = "salesforce"
COLLECTION_SIZE = 200  # sObject Collections take at most 200 records per call


@dataclass(frozen=True)
class Entity:
    """How one of our entities lives in Salesforce, declared as data."""

    sobject: str
    fields: tuple[str, ...]
    parse: Callable[[dict[str, Any], str], Any]
    build: Callable[[Any, str], dict[str, Any]]
    key: Callable[[Any], str]
    account_type: str = ""


ENTITIES: dict[str, Entity] = {
    "customer": Entity(
        "Account",
        r.CUSTOMER_FIELDS,
        r.parse_customer,
        r.build_customer,
        r.customer_key,
        r.CUSTOMER_TYPE,
    ),
    "ship_to": Entity(
        "Account",
        r.SHIP_TO_FIELDS,
        r.parse_ship_to,
        r.build_ship_to,
        r.ship_to_key,
        r.SHIP_TO_TYPE,
    ),
    "item": Entity("Product2", r.ITEM_FIELDS, r.parse_item, r.build_item, r.item_key),
    "price": Entity("PricebookEntry", r.PRICE_FIELDS, r.parse_price, r.build_price, r.price_key),
    "order": Entity("Order", r.ORDER_FIELDS, r.parse_order, r.build_order, r.order_key),
}
WRITE_ONLY = ("order_writeback",)


class SalesforceConnector:
    system = SYSTEM
    reads = frozenset(ENTITIES)

    def __init__(
        self,
        options: SalesforceOptions,
        client: SalesforceClient,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.options = options
        self.client = client
        self._clock = clock

    # ------------------------------------------------------------ usage

    @property
    def api_calls(self) -> int:
        """Calls made by this connector, logins not included (see auth_calls)."""
        return self.client.api_calls

    @property
    def auth_calls(self) -> int:
        return self.client.auth_calls

    @property
    def usage(self) -> tuple[int | None, int | None]:
        """(used, max) of the org's daily API requests as last reported; (None, None) before
        the first reply."""
        return self.client.usage.used, self.client.usage.max

    def should_pause(self, urgency: str = "normal") -> bool:
        """Whether a job of this urgency should wait: usage at or above quota_pause_share
        and the job is not 'urgent' (or 'interactive')."""
        return self.client.usage.should_pause(urgency)

    # ------------------------------------------------------------ check

    def check(self) -> CheckResult:
        """Log in and read the org's limits: OK with latency and usage, or what is wrong."""
        started = self._clock()
        try:
            limits = self.client.limits()
        except OrderbridgeError as exc:
            return CheckResult(
                SYSTEM, False, self._elapsed_ms(started), exc.message, exc.hint or ""
            )
        daily = limits.get("DailyApiRequests") or {}
        total, remaining = daily.get("Max"), daily.get("Remaining")
        message = f"logged in ({self.options.auth})"
        if total is not None and remaining is not None:
            message += f"; API requests used today {int(total) - int(remaining)}/{int(total)}"
        return CheckResult(SYSTEM, True, self._elapsed_ms(started), message)

    def _elapsed_ms(self, started: float) -> int:
        return int((self._clock() - started) * 1000)

    # ------------------------------------------------------------ reads

    def read_changed(self, entity: str, since: datetime, until: datetime) -> Iterator[Any]:
        """Records of `entity` with SystemModstamp in [since - lookback, until), oldest first,
        one page in memory at a time."""
        spec = self._entity(entity)
        since = since - timedelta(seconds=self.options.lookback_seconds)
        for page in self.client.query_pages(self._changed_soql(entity, spec, since, until)):
            for row in page:
                row = r.strip_attributes(row)
                if entity == "order":
                    self._complete_lines(row)
                yield spec.parse(row, self.options.external_id_field)

    def _changed_soql(self, entity: str, spec: Entity, since: datetime, until: datetime) -> str:
        soql = self.client.soql
        select = ", ".join(r.select_list(spec.fields, self.options.external_id_field))
        if entity == "order":
            lines = ", ".join(r.ORDER_ITEM_FIELDS)
            subquery = soql(r.SOQL_LINES, fields=lines, relation=r.ORDER_ITEMS_RELATION)
            select = f"{select}, {subquery}"
        template = r.SOQL_CHANGED_OF_TYPE if spec.account_type else r.SOQL_CHANGED
        return soql(
            template,
            select=select,
            sobject=spec.sobject,
            since=since,
            until=window_end(until),  # SOQL datetime literals carry whole seconds
            account_type=spec.account_type,
        )

    def _complete_lines(self, row: dict[str, Any]) -> None:
        """Fetch the rest of an order's lines when the subquery result was paged."""
        children = row.get(r.ORDER_ITEMS_RELATION)
        while isinstance(children, dict) and not children.get("done", True):
            more = r.strip_attributes(self.client.query_more(children["nextRecordsUrl"]))
            children["records"] = list(children.get("records") or []) + more.get("records", [])
            children["done"] = more.get("done", True)
            children["nextRecordsUrl"] = more.get("nextRecordsUrl")

    def _entity(self, entity: str) -> Entity:
        spec = ENTITIES.get(entity)
        if spec is None:
            raise ConfigError(
                f"no Salesforce entity {entity!r}",
                system=SYSTEM,
                key="entity",
                hint="one of " + ", ".join([*ENTITIES, *WRITE_ONLY]),
            )
        return spec

    # ------------------------------------------------------------ writes

    def upsert(self, entity: str, records: Sequence[Any]) -> list[WriteResult]:
        """Write records, a WriteResult each in order; a rejected record never fails the rest."""
        if entity == "order_writeback":
            rows = [r.build_order_writeback(update) for update in records]
            return self._write("Order", rows, [u.order_id for u in records], None)
        if entity == "order":
            return self._upsert_orders(list(records))
        spec = self._entity(entity)
        ext = self.options.external_id_field
        rows = [spec.build(record, ext) for record in records]
        return self._write(spec.sobject, rows, [spec.key(x) for x in records], ext)

    def _upsert_orders(self, orders: list[Any]) -> list[WriteResult]:
        """Order headers first, then the lines of the headers that were written."""
        ext = self.options.external_id_field
        heads = self._write(
            "Order", [r.build_order(o, ext) for o in orders], [r.order_key(o) for o in orders], ext
        )
        written = [o for o, result in zip(orders, heads, strict=True) if result.ok]
        lines = [(o, line) for o in written for line in o.lines]
        line_results = self._write(
            "OrderItem",
            [r.build_order_item(o, line, ext) for o, line in lines],
            [r.order_line_key(o, line) for o, line in lines],
            ext,
        )
        by_order = {result.external_id: result for result in heads}
        for (order, line), result in zip(lines, line_results, strict=True):
            head = by_order[r.order_key(order)]
            if not result.ok:
                head.ok = False
                head.code = head.code or result.code
                head.error_class = result.error_class
                head.message = f"{head.message}; " if head.message else ""
                head.message += f"line {line.line_no}: {result.message}"
        return heads

    def _write(
        self,
        sobject: str,
        rows: list[dict[str, Any]],
        keys: list[str],
        ext_field: str | None,
    ) -> list[WriteResult]:
        """Collections below the bulk threshold, Bulk API 2.0 above; duplicates refused."""
        results: dict[int, WriteResult] = {}
        seen: set[str] = set()
        send_rows, send_keys, positions = [], [], []
        for position, (row, key) in enumerate(zip(rows, keys, strict=True)):
            if key in seen:
                results[position] = _duplicate(key)
                continue
            seen.add(key)
            send_rows.append(row)
            send_keys.append(key)
            positions.append(position)
        if len(send_rows) > self.options.bulk_threshold:
            written = self._write_bulk(sobject, send_rows, send_keys, ext_field)
        else:
            written = []
            for start in range(0, len(send_rows), COLLECTION_SIZE):
                end = start + COLLECTION_SIZE
                written += self._send_collection(
                    sobject, send_rows[start:end], send_keys[start:end], ext_field
                )
        results.update(zip(positions, written, strict=True))
        return [results[position] for position in range(len(rows))]

    def _send_collection(
        self, sobject: str, rows: list[dict[str, Any]], keys: list[str], ext_field: str | None
    ) -> list[WriteResult]:
        try:
            if ext_field is None:
                replies = self.client.collection_update(sobject, rows)
            else:
                replies = self.client.collection_upsert(sobject, ext_field, rows)
        except RecordRejectedError as exc:
            self._raise_if_schema(exc, sobject)
            if len(rows) == 1:
                return r.rejected_all(keys, exc.code, exc.message)
            # One undeserialisable value refuses the whole call (HTTP 400 with no per-record
            # results); halving finds the record so that only it is rejected.
            middle = len(rows) // 2
            return self._send_collection(
                sobject, rows[:middle], keys[:middle], ext_field
            ) + self._send_collection(sobject, rows[middle:], keys[middle:], ext_field)
        return r.parse_collection_results(replies, keys)

    @staticmethod
    def _raise_if_schema(exc: RecordRejectedError, sobject: str) -> None:
        """A missing field or External ID in the org is a setup problem, not a bad record."""
        if exc.code == "NOT_FOUND" or "No such column" in exc.message:
            raise ConfigError(
                exc.message,
                system=SYSTEM,
                key=f"{KEY}.external_id_field",
                hint=f"create the fields Orderbridge writes on {sobject} (README, Salesforce) "
                "and mark the external_id_field as External ID",
            )

    def _write_bulk(
        self, sobject: str, rows: list[dict[str, Any]], keys: list[str], ext_field: str | None
    ) -> list[WriteResult]:
        operation = "update" if ext_field is None else "upsert"
        key_column = ext_field or "Id"
        results: list[WriteResult] = []
        for start in range(0, len(rows), self.options.bulk_job_rows):
            end = start + self.options.bulk_job_rows
            outcome = self.client.bulk_ingest(
                sobject, operation, r.build_bulk_csv(rows[start:end]), ext_field
            )
            by_key = r.parse_bulk_results(
                outcome.successful, outcome.failed, outcome.unprocessed, key_column
            )
            job_error = ""
            if outcome.job.get("state") != "JobComplete":
                job_error = str(outcome.job.get("errorMessage") or outcome.job.get("state"))
            if "InvalidBatch" in job_error:  # a column the org lacks: no row can succeed
                raise ConfigError(
                    job_error,
                    system=SYSTEM,
                    key=f"{KEY}.external_id_field",
                    hint=f"create the fields Orderbridge writes on {sobject} (README, Salesforce)",
                )
            results += r.order_results(keys[start:end], by_key, job_error)
        return results


def _duplicate(key: str) -> WriteResult:
    return WriteResult(
        external_id=key,
        ok=False,
        code="DUPLICATE_IN_BATCH",
        message="the same record appears twice in one batch; the first one was sent",
        error_class="duplicate",
    )


def from_settings(settings: Any, **client_kwargs: Any) -> SalesforceConnector:
    """The connector for `settings.connections.salesforce`, on a core.http session."""
    options = options_from_settings(settings.connections.salesforce)
    session = new_session(SYSTEM, options.timeout_seconds)
    return SalesforceConnector(options, SalesforceClient(options, session, **client_kwargs))
