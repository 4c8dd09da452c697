"""sync_orders: activated Salesforce orders become ERP sales orders; the ERP's answer and its
later status changes are written back onto the Salesforce Order.

One work item per order number. An order is posted once, under our external id "SF-<number>",
after its customer, ship-to and every line were checked against the store's master data (item
known and active, price within `flows.price_tolerance_percent` of the price list); an order
that fails a check is rejected with a hint and the reason written back, never posted. An order
the ERP already has (ours, or entered there before Orderbridge) is not posted again: its ERP
number and status are written back. ERP orders whose status changed in the window flow back too.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from datetime import datetime, timezone
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from connectors import get_connector
from connectors.salesforce.records import OrderWriteBack
from core import records as rec
from core.errors import RecordRejectedError
from core.store import models as m
from core.store import session_scope
from core.store.opcopy import set_line_progress, upsert, upsert_order
from sync_jobs import get_spec
from sync_jobs.base import ItemSpec, Job, RunContext
from sync_jobs.flows_common import (
    STATUS_LABELS,
    bind,
    bound,
    erp_external_id,
    erp_keys,
    flow_settings,
    order_payload,
    our_number,
    require_master_data,
    version_of,
)
from sync_jobs.leases import utcnow
from sync_jobs.order_checks import OrderChecks, is_missing, refusal

SF = "salesforce"
EPOCH = datetime(2000, 1, 1, tzinfo=timezone.utc)
FIX_HINT = (
    "correct the order in Salesforce, or the item master or price list in the ERP, "
    "then retry it from the error queue"
)


class SyncOrders(Job):
    job_id = "sync_orders"

    def __init__(self, settings: Any) -> None:
        super().__init__(settings)
        self.url = settings.database_url
        self.erp_system = str(settings.erp)
        self.flows = flow_settings(settings)
        self.sf = get_connector(SF, settings)
        self.erp = get_connector(self.erp_system, settings)
        self._accounts: dict[str, Any] | None = None
        self.checks = OrderChecks(self.url, self.erp, self.erp_system, self.flows, self._account)

    # ---- planning ---------------------------------------------------------------------------

    def plan(self, ctx: RunContext) -> Iterable[ItemSpec]:
        with session_scope(self.url) as session:
            require_master_data(session, self.erp_system, "ship_to" in self.erp.reads)
        for order in self.sf.read_changed("order", ctx.window_start, ctx.window_end):
            if order.status != "open":  # only Activated orders go to the ERP
                continue
            payload = {"kind": "order", "order": order_payload(order)}
            yield ItemSpec(order.number, payload, version_of(payload))
        yield from self._status_changes(ctx)

    def _status_changes(self, ctx: RunContext) -> Iterable[ItemSpec]:
        """ERP orders of ours whose status, hold or number differs from what we wrote back."""
        for erp_order in self.erp.read_changed("order", ctx.window_start, ctx.window_end):
            number = our_number(erp_order)
            with session_scope(self.url) as session:
                row = session.scalars(
                    select(m.Order).filter_by(number=number, source_system=SF)
                ).first()
                if row is None or row.erp_number is None:
                    continue  # not a Salesforce order we synced (its order item handles it)
                known = (row.status, row.on_hold, row.erp_number)
            erp = _erp_facts(erp_order)
            if known == (erp["status"], erp["on_hold"], erp["number"]):
                continue
            payload = {"kind": "status", "number": number, "erp": erp}
            yield ItemSpec(number, payload, version_of(payload))

    # ---- carrying out -----------------------------------------------------------------------

    def perform(self, ctx: RunContext, business_key: str, payload: Any) -> str | None:
        if payload["kind"] == "status":
            return self._flow_back(business_key, payload["erp"])
        order = rec.from_payload(rec.Order, payload["order"])
        assert isinstance(order, rec.Order)
        found = self._in_erp(order.number)
        if found is not None:
            self._settle(order, _erp_facts(found), found.lines)
            return "already in the ERP"
        problems = self.checks.problems(order)
        if problems:
            self._write_back(order.source_key, error="; ".join(problems))
            raise RecordRejectedError(
                "; ".join(problems),
                system=self.erp_system,
                key=order.number,
                error_class="missing" if is_missing(problems) else "value",
                code="order_check",
                hint=FIX_HINT,
            )
        return self._post(order)

    def confirm(self, ctx: RunContext, business_key: str, payload: Any) -> bool:
        """An interrupted item is done when the ERP has the order and the store shows its
        answer written back; otherwise perform finishes it (it looks before it posts)."""
        if payload["kind"] == "status":
            return False  # a write-back is safe to repeat
        with session_scope(self.url) as session:
            row = session.scalars(select(m.Order).filter_by(number=business_key)).first()
            written_back = row is not None and row.erp_number is not None
        return written_back and self._in_erp(business_key) is not None

    def _in_erp(self, number: str) -> rec.Order | None:
        keys = erp_keys(number)
        found = self.erp.read("order", keys)
        # Ours by external id first; then an order the ERP had before, by its number.
        return next((o for o in found if o.external_id == keys[0]), None) or next(
            (o for o in found if number in (o.external_id, o.number)), None
        )

    def _post(self, order: rec.Order) -> str:
        erp_order = replace(
            order,
            source_system=self.erp_system,
            external_id=erp_external_id(order.number),
            status="pending_approval" if order.on_hold else "open",
        )
        self._ensure_parties(order)
        (result,) = self.erp.upsert("order", [erp_order])
        if not result.ok:
            if not result.transient:
                self._write_back(order.source_key, error=result.message or result.code or "refused")
            raise refusal(result, self.erp_system, order.number, FIX_HINT)
        facts = {
            "number": result.their_id or "",
            "status": erp_order.status,
            "on_hold": order.on_hold,
        }
        self._settle(order, facts)
        return f"posted as {facts['number']}"

    def _settle(
        self, order: rec.Order, erp: dict[str, Any], erp_lines: Iterable[rec.OrderLine] = ()
    ) -> None:
        """Write the ERP's answer back to Salesforce, then keep it in the store and id map."""
        self._write_back(order.source_key, number=erp["number"], status=erp["status"])
        stored = replace(order, status=erp["status"], on_hold=erp["on_hold"])
        with session_scope(self.url) as session:
            upsert_order(session, stored, erp_number=erp["number"])
            _progress_from_erp(session, order.number, erp["status"], erp_lines)
            bind(session, "order", self.erp_system, order.number, erp["number"])
            bind(session, "order", SF, order.number, order.source_key)

    def _flow_back(self, number: str, erp: dict[str, Any]) -> str:
        with session_scope(self.url) as session:
            row = session.scalars(select(m.Order).filter_by(number=number)).one()
            sf_id = row.source_key
        self._write_back(sf_id, number=erp["number"], status=erp["status"])
        with session_scope(self.url) as session:
            row = session.scalars(select(m.Order).filter_by(number=number)).one()
            row.status, row.on_hold, row.erp_number = erp["status"], erp["on_hold"], erp["number"]
        return f"status {erp['status']}"

    def _write_back(self, sf_id: str, number: str = "", status: str = "", error: str = "") -> None:
        update = OrderWriteBack(
            order_id=sf_id,
            synced_at=utcnow(),
            erp_order_number=number,
            status=STATUS_LABELS.get(status, status),
            error=error,
        )
        (result,) = self.sf.upsert("order_writeback", [update])
        if not result.ok:
            raise RecordRejectedError(
                f"write-back to Salesforce refused: {result.message}",
                system=SF,
                key=sf_id,
                code=result.code,
                error_class=result.error_class,  # a row lock is the system's, retried uncounted
                hint="check the Orderbridge fields on Order in Salesforce (README, Salesforce)",
            )

    # ---- customers and ship-tos the ERP lacks -----------------------------------------------

    def _account(self, key: str) -> Any:
        """The Salesforce account (customer) or ship-to with this number or code, read once."""
        if self._accounts is None:
            now = utcnow()
            self._accounts = {c.number: c for c in self.sf.read_changed("customer", EPOCH, now)}
            self._accounts |= {s.code: s for s in self.sf.read_changed("ship_to", EPOCH, now)}
        return self._accounts.get(key)

    def _ensure_parties(self, order: rec.Order) -> None:
        """Create a customer or ship-to the ERP lacks (flows.create_missing_customers)."""
        with session_scope(self.url) as session:
            have_customer = session.scalars(
                select(m.Customer.id).filter_by(number=order.customer_number)
            ).first() or bound(session, "customer", self.erp_system, order.customer_number)
            have_ship_to = (
                not (order.ship_to_code and self.checks.ship_tos_apart())
                or session.scalars(
                    select(m.ShipTo.id).filter_by(
                        customer_number=order.customer_number, code=order.ship_to_code
                    )
                ).first()
            )
        created = False
        if not have_customer and not self.erp.read("customer", [order.customer_number]):
            self._create("customer", self._account(order.customer_number))
            created = True
        # A customer just created has an empty address book: the order's ship-to goes in it.
        if not have_ship_to or (created and order.ship_to_code and self.checks.ship_tos_apart()):
            self._create("ship_to", self._account(order.ship_to_code))

    def _create(self, entity: str, record: Any) -> None:
        if record is None or not self.flows.create_missing_customers:
            raise RecordRejectedError(
                f"the {entity.replace('_', '-')} is not in the ERP",
                system=self.erp_system,
                error_class="missing",
                hint="create it in the ERP, or set flows.create_missing_customers to true",
            )
        (result,) = self.erp.upsert(entity, [record])
        if not result.ok:
            raise RecordRejectedError(
                f"the ERP refused the new {entity}: {result.message}",
                system=self.erp_system,
                key=result.external_id,
                code=result.code,
                error_class=result.error_class,
                hint="create it in the ERP by hand, then retry the order",
            )
        with session_scope(self.url) as session:
            upsert(session, record)
            key = record.number if entity == "customer" else record.code
            bind(session, entity, self.erp_system, key, result.their_id or key)

    def throttled(self) -> str | None:
        if self.sf.should_pause(get_spec(self.job_id).urgency):
            return "Salesforce API usage is near the daily quota"
        return None

    def api_calls(self) -> int:
        return int(self.sf.api_calls) + int(getattr(self.erp, "api_calls", 0))


def _erp_facts(erp_order: rec.Order) -> dict[str, Any]:
    return {
        "number": erp_order.source_key or erp_order.number,
        "status": erp_order.status,
        "on_hold": erp_order.on_hold,
    }


def _progress_from_erp(
    session: Session, number: str, status: str, erp_lines: Iterable[rec.OrderLine]
) -> None:
    """An order the ERP already had: its lines' progress there, for the lines still open
    here (partly shipped lines stay open, so push_fulfillments sends what remains)."""
    for erp_line in erp_lines:
        row = session.scalars(
            select(m.OrderLine).filter_by(order_number=number, line_no=erp_line.line_no)
        ).first()
        if row is None or row.status != "open":
            continue
        done = erp_line.quantity_shipped
        if status == "cancelled" or erp_line.status in ("closed", "cancelled"):
            progress = {"status": "cancelled"}
        elif done >= row.quantity:
            progress = {"status": "shipped"}
        else:
            progress = {}
        set_line_progress(session, number, erp_line.line_no, quantity_shipped=done, **progress)
