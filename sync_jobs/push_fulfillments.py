"""push_fulfillments: ERP orders released for fulfilment become 3PL fulfilment orders.

One work item per order. Its lines not yet sent are split by their item settings: a drop-ship
line is left to the ERP's purchase order, a kit line ships whole, a stock line ships from the
warehouse that fills most lines (by the 3PL's availability now; ties by `flows.warehouses`)
and what that warehouse lacks is backordered for release_backorders, with an exception for the
coordinator worth the backordered quantity at the line's unit price. The store's order lines
are the ledger of what went where.

The client reference "OB-<order>-F<first line>" is decided before the 3PL sees it, so an
interrupted item is confirmed by reading that order back from the 3PL.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from connectors import get_connector
from connectors.threepl.records import FulfilmentRequest
from core import records as rec
from core.errors import RecordRejectedError
from core.store import models as m
from core.store import session_scope
from core.store.opcopy import set_line_progress, upsert_order
from sync_jobs.base import ItemSpec, Job, RunContext
from sync_jobs.flows_common import (
    RELEASED,
    backorder_value,
    bind,
    carrier_service,
    choose_warehouse,
    client_reference,
    flow_settings,
    is_kit,
    open_exception,
    order_payload,
    our_number,
    require_master_data,
    ship_to_address,
    stock_by_warehouse,
    version_of,
    whole,
)

TPL = "threepl"
DROP_SHIP = "DROP-SHIP"
ZERO = Decimal(0)


class PushFulfillments(Job):
    job_id = "push_fulfillments"

    def __init__(self, settings: Any) -> None:
        super().__init__(settings)
        self.url = settings.database_url
        self.erp_system = str(settings.erp)
        self.flows = flow_settings(settings)
        self.erp = get_connector(self.erp_system, settings)
        self.tpl = get_connector(TPL, settings)

    def plan(self, ctx: RunContext) -> Iterable[ItemSpec]:
        with session_scope(self.url) as session:
            require_master_data(session, self.erp_system, "ship_to" in self.erp.reads)
        for erp_order in self.erp.read_changed("order", ctx.window_start, ctx.window_end):
            if erp_order.status not in RELEASED or erp_order.on_hold:
                continue
            payload = {"number": our_number(erp_order), "erp": order_payload(erp_order)}
            yield ItemSpec(payload["number"], payload, version_of(payload))

    def perform(self, ctx: RunContext, business_key: str, payload: Any) -> str | None:
        erp_order = rec.from_payload(rec.Order, payload["erp"])
        assert isinstance(erp_order, rec.Order)
        with session_scope(self.url) as session:
            lines, request = self._prepare(session, business_key, erp_order)
        if not lines:
            return "nothing left to send"
        shipping = self._split(lines)
        sent = {no: qty for no, qty in shipping.items() if qty > 0}
        if sent:
            result = self.tpl.submit_order(self._request(request, lines, sent))
            if not result.ok:
                raise RecordRejectedError(
                    result.message or "the 3PL refused the order",
                    system=TPL,
                    key=request["reference"],
                    code=result.code,
                    error_class=result.error_class,
                    hint="correct the ship-to or items in the ERP, then retry from the error queue",
                )
            with session_scope(self.url) as session:
                bind(
                    session,
                    "fulfilment",
                    TPL,
                    request["reference"],
                    result.their_id or request["reference"],
                )
        self._settle(business_key, lines, shipping, request["warehouse"])
        return f"{len(sent)} line(s) to {request['warehouse']}" if sent else "all backordered"

    def confirm(self, ctx: RunContext, business_key: str, payload: Any) -> bool:
        """Landed when the 3PL holds this order's fulfilment order: record what it holds."""
        erp_order = rec.from_payload(rec.Order, payload["erp"])
        with session_scope(self.url) as session:
            lines, request = self._prepare(session, business_key, erp_order)
        if not lines:
            return True
        held = self.tpl.get_order(request["reference"])
        if held is None:
            return False
        with session_scope(self.url) as session:
            their_id = str(held.get("id") or request["reference"])
            bind(session, "fulfilment", TPL, request["reference"], their_id)
        sent = {int(x["line_no"]): Decimal(str(x["quantity"])) for x in held["lines"]}
        shipping = {no: sent.get(no, ZERO) for no in lines}
        self._settle(business_key, lines, shipping, str(held["warehouse"]))
        return True

    # ---- deciding -----------------------------------------------------------------------

    def _prepare(
        self, session: Session, number: str, erp_order: rec.Order
    ) -> tuple[dict[int, dict[str, Any]], dict[str, Any]]:
        """The order's lines not yet sent, with what remains and how each ships; and where to."""
        order = session.scalars(select(m.Order).filter_by(number=number)).first()
        if order is None:  # an ERP order sync_orders has not stored (entered in the ERP)
            order = upsert_order(session, _renumbered(erp_order, number))
        erp_lines = {line.line_no: line for line in erp_order.lines}
        lines: dict[int, dict[str, Any]] = {}
        for row in session.scalars(
            select(m.OrderLine).filter_by(order_number=number, status="open")
        ):
            erp_line = erp_lines.get(row.line_no)
            if erp_line is not None and erp_line.status in ("closed", "cancelled"):
                set_line_progress(session, number, row.line_no, status="cancelled")
                continue
            done = max(row.quantity_shipped, erp_line.quantity_shipped if erp_line else ZERO)
            remaining = whole(row.quantity - done)
            if remaining <= 0:
                set_line_progress(session, number, row.line_no, status="shipped")
                continue
            item = session.scalars(select(m.Item).filter_by(sku=row.sku)).first()
            how = "drop_ship" if item and item.drop_ship else "kit" if is_kit(item) else "stock"
            lines[row.line_no] = {
                "sku": row.sku,
                "uom": row.uom,
                "remaining": remaining,
                "how": how,
                "price": row.unit_price,
                "currency": row.currency,
                "requested": row.requested_date,
            }
        shipped = sorted(no for no, line in lines.items() if line["how"] != "drop_ship")
        request = {
            "reference": client_reference(number, f"F{shipped[0] if shipped else 0}"),
            "number": number,
            "ship_method": erp_order.ship_method or order.ship_method or "",
            "ship_to": ship_to_address(session, order.customer_number, order.ship_to_code),
            "ship_to_code": order.ship_to_code,
            "warehouse": "",
        }
        return lines, request

    def _split(self, lines: dict[int, dict[str, Any]]) -> dict[int, Decimal]:
        """How much of each line ships now; sets the chosen warehouse on the lines' request."""
        stock_lines = {n: x for n, x in lines.items() if x["how"] == "stock"}
        needs: dict[str, Decimal] = {}
        for line in stock_lines.values():
            needs[line["sku"]] = needs.get(line["sku"], ZERO) + line["remaining"]
        stock = stock_by_warehouse(
            row for sku in sorted(needs) for row in self.tpl.inventory(sku=sku)
        )
        warehouse = choose_warehouse(needs, stock, self.flows.warehouses) or ""
        self._warehouse = warehouse
        have = dict(stock.get(warehouse, {}))
        shipping: dict[int, Decimal] = {}
        for no, line in sorted(lines.items()):
            if line["how"] == "drop_ship":
                shipping[no] = ZERO
            elif line["how"] == "kit":
                shipping[no] = line["remaining"]
            else:
                take = max(ZERO, min(line["remaining"], whole(have.get(line["sku"], ZERO))))
                have[line["sku"]] = have.get(line["sku"], ZERO) - take
                shipping[no] = take
        return shipping

    def _request(
        self, request: dict[str, Any], lines: dict[int, dict[str, Any]], sent: dict[int, Decimal]
    ) -> FulfilmentRequest:
        if request["ship_to"] is None:
            raise RecordRejectedError(
                f"ship-to {request['ship_to_code'] or '(none)'} is not in the store",
                system=self.erp_system,
                key=request["number"],
                error_class="missing",
                hint="pull_master_data brings ship-tos from the ERP; check the order's ship-to",
            )
        how = carrier_service(request["ship_method"])
        if how is None:
            raise RecordRejectedError(
                f"ship method {request['ship_method']!r} names no carrier the 3PL ships with",
                system=self.erp_system,
                key=request["number"],
                error_class="value",
                hint="set the order's ship method in the ERP to a UPS, FedEx or DHL ship item "
                "(e.g. 'FEDEX FEDEX_2_DAY'), then retry from the error queue",
            )
        request["warehouse"] = self._warehouse
        order = rec.Order(
            source_system="orderbridge",
            source_key=request["number"],
            external_id=request["reference"],
            number=request["number"],
            lines=[
                rec.OrderLine(
                    line_no=no,
                    sku=lines[no]["sku"],
                    quantity=rec.Quantity(qty, lines[no]["uom"]),
                    unit_price=rec.Money(lines[no]["price"], lines[no]["currency"]),
                    requested_date=lines[no]["requested"],
                )
                for no, qty in sorted(sent.items())
            ],
        )
        return FulfilmentRequest(order, request["ship_to"], self._warehouse, *how)

    # ---- recording ----------------------------------------------------------------------

    def _settle(
        self,
        number: str,
        lines: dict[int, dict[str, Any]],
        shipping: dict[int, Decimal],
        warehouse: str,
    ) -> None:
        with session_scope(self.url) as session:
            for no, line in lines.items():
                ships = shipping.get(no, ZERO)
                short = line["remaining"] - ships
                if line["how"] == "drop_ship":
                    set_line_progress(session, number, no, status="drop_ship", location=DROP_SHIP)
                    continue
                status = "released" if short <= 0 else "backordered"
                set_line_progress(
                    session,
                    number,
                    no,
                    status=status,
                    location=warehouse if ships > 0 else "",
                    quantity_backordered=max(short, ZERO),
                )
                if short > 0:
                    open_exception(
                        session,
                        "backorder",
                        f"{number}/{no}",
                        number,
                        self.job_id,
                        f"line {no} SKU {line['sku']}: {short} of {line['remaining']} backordered"
                        f" ({ships} shipping from {warehouse or 'no warehouse'})",
                        "release_backorders ships it when stock arrives; tell the customer "
                        "the expected date",
                        {"sku": line["sku"], "backordered": str(short), "line_no": no},
                        backorder_value(short, line["price"], line["currency"]),
                    )

    def api_calls(self) -> int:
        return int(getattr(self.erp, "api_calls", 0)) + int(self.tpl.api_calls)


def _renumbered(erp_order: rec.Order, number: str) -> rec.Order:
    return replace(erp_order, number=number)
