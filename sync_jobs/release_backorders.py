"""release_backorders: when stock appears, backordered lines go to the 3PL in priority order.

Each run looks at the SKUs that have backordered lines and stock somewhere (the 3PL's
inventory, or the ERP's as pull_master_data stored it: `flows.availability_source`), one work
item per such SKU. The item reads the SKU's availability afresh and gives it to the lines in
the order `flows.backorder_release_rule` sets (customer priority, then order date; the rule is
core/backorder_queue.py's, which the backorder report reads too), each from the warehouse with
the most of it, as far as it goes; the first line it cannot serve stops the queue, so no later
order overtakes an earlier one.

A release's client reference "OB-<order>-<line>R<units released before>" is decided from the
ledger before it is sent, and looked up before it is sent, so no release is made twice.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from sqlalchemy import select

from connectors import get_connector
from connectors.threepl.records import FulfilmentRequest
from core import records as rec
from core.backorder_queue import backorder_queue
from core.errors import RecordRejectedError
from core.store import models as m
from core.store import session_scope
from core.store.opcopy import set_line_progress
from sync_jobs.base import ItemSpec, Job, RunContext
from sync_jobs.exceptions import fill_amounts
from sync_jobs.flows_common import (
    backorder_case_value,
    backorder_value,
    bind,
    carrier_service,
    client_reference,
    close_exception,
    flow_settings,
    open_exception,
    ship_to_address,
    stock_by_warehouse,
    whole,
)

TPL = "threepl"
ZERO = Decimal(0)


class ReleaseBackorders(Job):
    job_id = "release_backorders"

    def __init__(self, settings: Any) -> None:
        super().__init__(settings)
        self.url = settings.database_url
        self.flows = flow_settings(settings)
        self.tpl = get_connector(TPL, settings)

    def plan(self, ctx: RunContext) -> Iterable[ItemSpec]:
        with session_scope(self.url) as session:
            # Backorders opened before their amount was kept get it while they wait.
            fill_amounts(session, ("backorder",), backorder_case_value)
            waiting = sorted(
                set(
                    session.scalars(
                        select(m.OrderLine.sku).where(m.OrderLine.quantity_backordered > 0)
                    )
                )
            )
        if not waiting:
            return
        stock = self._stock(None)
        version = ctx.window_end.isoformat()  # new stock is new work, each run
        for sku in waiting:
            if any(have.get(sku, ZERO) > 0 for have in stock.values()):
                yield ItemSpec(f"sku:{sku}", {"sku": sku}, version)

    def perform(self, ctx: RunContext, business_key: str, payload: Any) -> str | None:
        sku = payload["sku"]
        stock = self._stock(sku)
        released = 0
        for line in self._queue(sku):
            warehouse = self._best(stock, sku)
            have = whole(stock.get(warehouse, {}).get(sku, ZERO)) if warehouse else ZERO
            if have <= 0:
                break
            quantity = min(line["backordered"], have)
            sent = self._release(line, warehouse, quantity)
            where = stock.setdefault(sent["warehouse"], {})
            where[sku] = where.get(sku, ZERO) - sent["qty"]
            released += 1
            if sent["qty"] < line["backordered"]:
                break  # this line still waits; later lines wait behind it
        return f"{released} line(s) released" if released else "no stock to release"

    def confirm(self, ctx: RunContext, business_key: str, payload: Any) -> bool:
        return False  # perform looks each release up before it sends it

    # ---- the queue ------------------------------------------------------------------------

    def _queue(self, sku: str) -> list[dict[str, Any]]:
        with session_scope(self.url) as session:
            return [
                {
                    "number": w.order.number,
                    "line_no": w.line.line_no,
                    "sku": sku,
                    "uom": w.line.uom,
                    "quantity": w.line.quantity,
                    "backordered": whole(w.line.quantity_backordered),
                    "price": w.line.unit_price,
                    "currency": w.line.currency,
                    "customer": w.order.customer_number,
                    "ship_to": ship_to_address(
                        session, w.order.customer_number, w.order.ship_to_code
                    ),
                    "ship_method": w.order.ship_method or "",
                }
                for w in backorder_queue(session, self.flows.backorder_release_rule, sku)
            ]

    def _release(self, line: dict[str, Any], warehouse: str, quantity: Decimal) -> dict:
        before = whole(line["quantity"] - line["backordered"])
        reference = client_reference(line["number"], f"{line['line_no']}R{before}")
        held = self.tpl.get_order(reference)
        if held is None:
            held = self._submit(line, reference, warehouse, quantity)
        sent = {
            "warehouse": str(held["warehouse"]),
            "qty": sum(Decimal(str(x["quantity"])) for x in held["lines"]),
        }
        left = line["backordered"] - sent["qty"]
        with session_scope(self.url) as session:
            set_line_progress(
                session,
                line["number"],
                line["line_no"],
                quantity_backordered=max(left, ZERO),
                status="released" if left <= 0 else "backordered",
                location=sent["warehouse"],
            )
            bind(session, "fulfilment", TPL, reference, str(held.get("id") or reference))
            key = f"{line['number']}/{line['line_no']}"
            if left <= 0:
                close_exception(session, "backorder", key, "released")
            else:
                open_exception(
                    session,
                    "backorder",
                    key,
                    line["number"],
                    self.job_id,
                    f"line {line['line_no']} SKU {line['sku']}: {left} of {line['quantity']:g} "
                    f"still backordered ({sent['qty']} released from {sent['warehouse']})",
                    "released as more stock arrives; tell the customer the expected date",
                    {"sku": line["sku"], "backordered": str(left), "line_no": line["line_no"]},
                    backorder_value(left, line["price"], line["currency"]),
                )
        return sent

    def _submit(
        self, line: dict[str, Any], reference: str, warehouse: str, quantity: Decimal
    ) -> dict[str, Any]:
        if line["ship_to"] is None:
            raise RecordRejectedError(
                f"order {line['number']} has no ship-to in the store",
                system=TPL,
                key=reference,
                error_class="missing",
                hint="pull_master_data brings ship-tos from the ERP; check the order's ship-to",
            )
        how = carrier_service(line["ship_method"])
        if how is None:
            raise RecordRejectedError(
                f"ship method {line['ship_method']!r} names no carrier the 3PL ships with",
                system=TPL,
                key=reference,
                error_class="value",
                hint="set the order's ship method in the ERP to a UPS, FedEx or DHL ship item",
            )
        order = rec.Order(
            source_system="orderbridge",
            source_key=line["number"],
            external_id=reference,
            number=line["number"],
            customer_number=line["customer"],
            lines=[
                rec.OrderLine(
                    line_no=line["line_no"],
                    sku=line["sku"],
                    quantity=rec.Quantity(quantity, line["uom"]),
                    unit_price=rec.Money(line["price"], line["currency"]),
                )
            ],
        )
        result = self.tpl.submit_order(FulfilmentRequest(order, line["ship_to"], warehouse, *how))
        if not result.ok:
            raise RecordRejectedError(
                result.message or "the 3PL refused the release",
                system=TPL,
                key=reference,
                code=result.code,
                error_class=result.error_class,
                hint="check the order's ship-to and item, then retry from the error queue",
            )
        return {"id": result.their_id, "warehouse": warehouse, "lines": [{"quantity": quantity}]}

    # ---- availability -----------------------------------------------------------------------

    def _stock(self, sku: str | None) -> dict[str, dict[str, Decimal]]:
        if self.flows.availability_source == "erp":
            with session_scope(self.url) as session:
                query = select(m.Inventory)
                if sku:
                    query = query.where(m.Inventory.sku == sku)
                return stock_by_warehouse(session.scalars(query).all())
        return stock_by_warehouse(self.tpl.inventory(sku=sku))

    def _best(self, stock: dict[str, dict[str, Decimal]], sku: str) -> str | None:
        order = list(self.flows.warehouses)
        candidates = [w for w in stock if stock[w].get(sku, ZERO) > 0]
        if not candidates:
            return None
        return max(
            candidates,
            key=lambda w: (stock[w][sku], -(order.index(w) if w in order else len(order))),
        )

    def api_calls(self) -> int:
        return int(self.tpl.api_calls)
