"""reconcile_orders: the three-way match across Salesforce, the ERP, the 3PL and the carriers for
the last `reconciliation.period_days` days, with every discrepancy in the exceptions queue.

Orders are read from Salesforce and the ERP as they are now (both views, so an order missing
in one or whose statuses disagree is seen), shipments from the ERP and the 3PL (matched by
tracking number), delivery and proof of delivery from the store's tracking, invoices from the
store (sync_invoices). The match is `reports.reconcile_core.reconcile`. One work item per run
and period; cases found are raised as `recon_<class>` (amount in the line's currency), cases
of the period no longer found are resolved.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from datetime import date, datetime, time, timedelta, timezone
from typing import Any

import pandas as pd
from sqlalchemy import select

from connectors import get_connector
from core.errors import ConfigError
from core.store import models as m
from core.store import session_scope
from reports.reconcile_core import as_people_see_it, from_decimal, reconcile
from reports.reconciliation import TITLES, load_sides, tolerances_from
from sync_jobs.base import ItemSpec, Job, RunContext
from sync_jobs.exceptions import Case, raise_case
from sync_jobs.flows_common import EDI_PREFIX, order_of_erp_key, order_of_reference

KINDS = tuple(f"recon_{name}" for name in TITLES)
HELD = "not released"


def sf_phase(order: Any) -> str:
    if order.status in ("cancelled", "canceled"):
        return "cancelled"
    return HELD if order.status == "draft" or order.on_hold else "active"


def erp_phase(order: Any, salesforce: str | None) -> str:
    """The ERP's status in Salesforce's terms; 'open' (not started) agrees with either."""
    if order.status == "cancelled":
        return "cancelled"
    if order.status == "pending_approval" or order.on_hold:
        return HELD
    if order.status == "open" and salesforce in (HELD, "active"):
        return salesforce
    return "active"


def _at(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=timezone.utc)


class ReconcileOrders(Job):
    job_id = "reconcile_orders"
    snapshot = True

    def __init__(self, settings: Any) -> None:
        super().__init__(settings)
        self.connectors: dict[str, Any] = {}

    def _connector(self, system: str) -> Any:
        if system not in self.connectors:
            self.connectors[system] = get_connector(system, self.settings)
        return self.connectors[system]

    def plan(self, ctx: RunContext) -> Iterable[ItemSpec]:
        date_to = ctx.window_end.date()
        date_from = date_to - timedelta(days=int(self.settings.reconciliation.period_days))
        payload = {"from": date_from.isoformat(), "to": date_to.isoformat()}
        yield ItemSpec(f"{date_from}..{date_to}", payload, ctx.window_end.isoformat())

    def perform(self, ctx: RunContext, business_key: str, payload: Any) -> str | None:
        date_from, date_to = date.fromisoformat(payload["from"]), date.fromisoformat(payload["to"])
        until = ctx.window_end
        orders = self._orders(date_from, date_to, until)
        with session_scope(self.settings.database_url) as session:
            _, stored_shipments, invoices = load_sides(session, date_from, date_to)
            tracking = {
                row.tracking_number: row
                for row in session.scalars(
                    select(m.Shipment).where(m.Shipment.tracking_number != "")
                )
            }
        known = set(orders["order_number"]) | set(invoices["order_number"])
        known |= set(stored_shipments["order_number"])
        shipments = self._shipments(date_from, until, known, tracking)
        result = reconcile(orders, shipments, invoices, tolerances_from(self.settings, date_to))
        dates = dict(zip(orders["order_number"], orders["order_date"], strict=True))
        cases = list(_cases(result.classes, self.settings.erp, dates))
        period = set(orders["order_number"]) | set(shipments["order_number"]) | known
        with session_scope(self.settings.database_url) as session:
            for case in cases:
                raise_case(session, self.settings, self.job_id, case, until)
            keep = {(c.kind, c.business_key) for c in cases}
            for row in session.scalars(
                select(m.OpsException).where(
                    m.OpsException.kind.in_(KINDS), m.OpsException.status == "open"
                )
            ):
                if (row.kind, row.business_key) not in keep and row.order_number in period:
                    row.status, row.resolved_at, row.resolved_by = "resolved", until, "system"
                    row.comment = "resolved: the cause went away"
        ctx.written += len(cases)
        ctx.notes.append(
            ", ".join(f"{TITLES[k].lower()} {len(v)}" for k, v in result.classes.items() if v)
            or "no discrepancies"
        )
        return None

    # -- the live views --------------------------------------------------------------------

    def _read(self, system: str, entity: str, since: datetime, until: datetime) -> list[Any]:
        connector = self._connector(system)
        if entity not in getattr(connector, "reads", {entity}):
            raise ConfigError(f"{system} cannot read {entity}", system=system, key=entity)
        return list(connector.read_changed(entity, since, until))

    def _orders(self, date_from: date, date_to: date, until: datetime) -> pd.DataFrame:
        def dated(orders: list[Any]) -> dict[str, Any]:
            return {
                o.number: o
                for o in orders
                if o.order_date is None or date_from <= o.order_date <= date_to
            }

        since = _at(date_from)
        salesforce = dated(self._read("salesforce", "order", since, until))
        erp = dated(self._read(self.settings.erp, "order", since, until))
        columns: dict[str, list[Any]] = {
            k: []
            for k in (
                "order_number",
                "line_no",
                "sku",
                "currency",
                "quantity_milli",
                "price_e4",
                "sf_status",
                "erp_status",
                "order_date",
            )
        }
        for number in sorted(set(salesforce) | set(erp)):
            sf, ours = salesforce.get(number), erp.get(number)
            sf_status = sf_phase(sf) if sf else None
            erp_status = erp_phase(ours, sf_status) if ours else None
            if sf is None and number.startswith(EDI_PREFIX):
                # A trading partner's PO was never in Salesforce: its channel side is the
                # ERP's own copy, so it is matched for shipments and invoices, not "missing".
                sf_status = erp_status
            for line in (ours or sf).lines:
                columns["order_number"].append(number)
                columns["line_no"].append(line.line_no)
                columns["sku"].append(line.sku)
                columns["currency"].append(line.unit_price.currency)
                columns["quantity_milli"].append(from_decimal(line.quantity.value, 3))
                columns["price_e4"].append(from_decimal(line.unit_price.amount, 4))
                columns["sf_status"].append(sf_status)
                columns["erp_status"].append(erp_status)
                order_date = (ours or sf).order_date
                columns["order_date"].append(order_date.isoformat() if order_date else None)
        return pd.DataFrame(columns)

    def _shipments(
        self, date_from: date, until: datetime, orders: set[str], tracking: dict[str, Any]
    ) -> pd.DataFrame:
        since = _at(date_from)
        erp = self._read(self.settings.erp, "shipment", since - timedelta(days=365), until)
        threepl = self._read("threepl", "shipment", since - timedelta(days=365), until)
        # Both sides name our orders by their keys there: "SF-<number>", "OB-<number>-F1".
        erp = [replace(s, order_number=order_of_erp_key(s.order_number)) for s in erp]
        threepl = [replace(s, order_number=order_of_reference(s.order_number)) for s in threepl]
        in_3pl = {p.tracking_number for s in threepl for p in s.packages if p.tracking_number}
        in_erp: set[str] = set()
        rows: list[tuple] = []

        def add(shipment: Any, erp_side: bool, tpl_side: bool) -> None:
            number = next((p.tracking_number for p in shipment.packages if p.tracking_number), "")
            stored = tracking.get(number)
            for line in shipment.lines:
                rows.append(
                    (
                        shipment.order_number,
                        line.order_line_no,
                        from_decimal(line.quantity.value, 3),
                        shipment.number,
                        (shipment.ship_date - date(1970, 1, 1)).days
                        if shipment.ship_date
                        else None,
                        stored is not None and stored.status == "delivered",
                        stored is not None
                        and (stored.pod_location is not None or stored.pod_signed_by is not None),
                        erp_side,
                        tpl_side,
                    )
                )

        for shipment in erp:
            numbers = {p.tracking_number for p in shipment.packages if p.tracking_number}
            in_erp |= numbers
            if shipment.order_number in orders or (
                shipment.ship_date and shipment.ship_date >= date_from
            ):
                add(shipment, True, bool(numbers & in_3pl))
        for shipment in threepl:
            numbers = {p.tracking_number for p in shipment.packages if p.tracking_number}
            if numbers & in_erp:
                continue
            if shipment.order_number in orders or (
                shipment.ship_date and shipment.ship_date >= date_from
            ):
                add(shipment, False, True)
        names = (
            "order_number",
            "line_no",
            "quantity_milli",
            "shipment_number",
            "ship_day",
            "delivered",
            "has_pod",
            "in_erp",
            "in_3pl",
        )
        return pd.DataFrame(rows, columns=list(names))

    def api_calls(self) -> int:
        return sum(int(getattr(c, "api_calls", 0)) for c in self.connectors.values())


def _cases(
    classes: dict[str, list[dict[str, Any]]], erp: str, dates: dict[str, str | None]
) -> Iterable[Case]:
    for name, rows in classes.items():
        for raw in rows:
            row = as_people_see_it(raw)
            part = row["line_no"] if row["line_no"] is not None else row["reference"] or ""
            key = f"{row['order_number']}/{part}" if part != "" else row["order_number"]
            yield Case(
                f"recon_{name}",
                key,
                f"order {row['order_number']}"
                + (f" line {row['line_no']}" if row["line_no"] is not None else "")
                + f": {row['note']}",
                order_number=row["order_number"],
                system=erp,
                hint="see the reconciliation workbook for the order's three sides",
                amount=row["amount"],
                currency=row["currency"],
                details={
                    **{k: str(v) for k, v in row.items() if v is not None and k != "order_number"},
                    "order_date": dates.get(row["order_number"]),
                },
            )
