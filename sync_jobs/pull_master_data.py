"""pull_master_data: items, prices, customers, ship-tos and availability from the ERP to the store.

Reads what changed in the window from the configured ERP (setting `erp`), in batches of
records that are written to the operational copy in one transaction each, so uploads and
cross-checks validate against current master data. A record that cannot be stored is parked
alone in the error queue. Prices from an ERP without dated price lists (NetSuite) are placed in
the store's price calendar, which stays in charge of the dates: see
core.store.opcopy.upsert_undated_price.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import timedelta
from itertools import islice
from typing import Any

from sqlalchemy.exc import IntegrityError

from connectors import get_connector
from core import records as rec
from core.errors import RecordRejectedError
from core.store import session_scope
from core.store.opcopy import WRITERS, upsert
from sync_jobs.base import ItemSpec, Job, RunContext

ENTITIES = ("item", "price", "customer", "ship_to", "availability")
BATCH = 200
TYPES = {cls.__name__: cls for cls in WRITERS}


def record_key(record: rec.Record) -> str:
    parts = {
        rec.Customer: lambda r: r.number,
        rec.ShipTo: lambda r: f"{r.customer_number}/{r.code}",
        rec.Item: lambda r: r.sku,
        rec.PriceListEntry: lambda r: (
            f"{r.sku}/{r.price_level}/{r.unit_price.currency}"
            f"/{r.min_quantity}/{r.effective_from or ''}"
        ),
        rec.Availability: lambda r: f"{r.sku}@{r.location}",
    }
    return f"{type(record).__name__}:{parts[type(record)](record)}"


def _batches(records: Iterable[Any]) -> Iterator[list[Any]]:
    iterator = iter(records)
    while batch := list(islice(iterator, BATCH)):
        yield batch


class PullMasterData(Job):
    job_id = "pull_master_data"
    # The first run takes everything the ERP has; later runs only what changed.
    first_window = timedelta(days=365 * 30)

    def __init__(self, settings: Any) -> None:
        super().__init__(settings)
        self.connector = get_connector(settings.erp, settings)

    def plan(self, ctx: RunContext) -> Iterable[ItemSpec]:
        version = ctx.window_end.isoformat()
        for entity in (e for e in ENTITIES if e in self.connector.reads):
            records = self.connector.read_changed(entity, ctx.window_start, ctx.window_end)
            for n, batch in enumerate(_batches(records)):
                payload = [{"type": type(r).__name__, "data": rec.to_payload(r)} for r in batch]
                ctx.read += len(batch) - 1  # the runner counts the item itself
                yield ItemSpec(f"{entity}#{n}", payload, version=version)

    def perform(self, ctx: RunContext, business_key: str, payload: Any) -> str | None:
        today = ctx.today()  # the day an undated ERP price is charged on
        with session_scope(self.settings.database_url) as session:
            for entry in payload:
                record = rec.from_payload(TYPES[entry["type"]], entry["data"])
                try:
                    with session.begin_nested():
                        upsert(session, record, today)
                    ctx.written += 1
                except (ValueError, TypeError, LookupError, IntegrityError) as exc:
                    ctx.reject(
                        record_key(record),
                        entry,
                        RecordRejectedError(
                            f"cannot store: {exc}",
                            system=self.settings.erp,
                            key=record_key(record),
                            hint="correct the record in the ERP",
                        ),
                    )
        return None

    def api_calls(self) -> int:
        return int(getattr(self.connector, "api_calls", 0))
