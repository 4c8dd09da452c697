"""sync_invoices: the ERP's invoices into the store, each checked line by line against what
shipped and what was ordered, with the discrepancies in the exceptions queue with their amount.

Checks: quantity invoiced against quantity shipped, unit price against the order line and
against the customer's price list, tax against the ship-to country's rate and freight against
the rule (settings `invoices.*`). What an invoice is checked against is read from the store
(orders, shipments, customers, ship-tos, prices); whatever the store lacks is read from the
ERP once per run and kept in memory (nothing of it is written: those tables are other jobs').
One work item per invoice version; a re-read invoice that has not changed is not redone. An
invoice with an open quantity discrepancy is checked again whenever what its order shipped
changes, so a shipment stored after its invoice settles what was billed ahead of it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from connectors import get_connector
from core import records as rec
from core.errors import RecordRejectedError
from core.store import models as m
from core.store import session_scope
from core.store.opcopy import upsert_invoice
from sync_jobs.base import ItemSpec, Job, RunContext
from sync_jobs.exceptions import Case, settle
from sync_jobs.flows_common import order_of_erp_key

KINDS = (
    "invoice_without_order",
    "invoice_quantity_mismatch",
    "invoice_price_mismatch",
    "invoice_list_price_mismatch",
    "invoice_tax_mismatch",
    "invoice_freight_mismatch",
)
CENT = Decimal("0.01")
EPOCH = datetime(2000, 1, 1, tzinfo=timezone.utc)


def money(value: Decimal) -> Decimal:
    return value.quantize(CENT)


@dataclass
class OrderView:
    """An order as the invoice check needs it: its lines, ship-to, customer, shipped lines."""

    number: str
    customer_number: str
    ship_to_code: str
    # line_no -> (sku, ordered quantity, unit price)
    lines: dict[int, tuple[str, Decimal, Decimal]]
    shipped: dict[int, Decimal] = field(default_factory=dict)
    invoiced_elsewhere: dict[int, Decimal] = field(default_factory=dict)


@dataclass(frozen=True)
class Rules:
    price_tolerance: Decimal
    quantity_tolerance: Decimal
    tax_tolerance: Decimal
    tax_rates: dict[str, Decimal]
    freight_max_share: Decimal
    freight_max: Decimal

    @classmethod
    def from_settings(cls, settings: Any) -> Rules:
        s = settings.invoices
        return cls(
            Decimal(str(s.price_tolerance)),
            Decimal(str(s.quantity_tolerance)),
            Decimal(str(s.tax_tolerance)),
            {k: Decimal(str(v)) for k, v in (s.get("tax_rates") or {}).items()},
            Decimal(str(s.freight_max_share)),
            Decimal(str(s.freight_max)),
        )


class Reference:
    """What invoices are checked against: the store first, the ERP for what it lacks."""

    def __init__(
        self,
        session: Session,
        erp: Callable[[str], Iterable[Any]],
        cache: dict[str, Any] | None = None,
    ) -> None:
        self.session = session
        self.erp = erp
        self._erp_cache: dict[str, Any] = {} if cache is None else cache

    def _from_erp(self, entity: str, key: Callable[[Any], Any]) -> dict[Any, list[Any]]:
        if entity not in self._erp_cache:
            index: dict[Any, list[Any]] = {}
            for record in self.erp(entity):
                index.setdefault(key(record), []).append(record)
            self._erp_cache[entity] = index
        return self._erp_cache[entity]

    def order(self, number: str, invoice_number: str) -> OrderView | None:
        view = self._store_order(number) or self._erp_order(number)
        if view is not None:
            view.shipped = self.store_shipped(number) or self._erp_shipped(number)
            view.invoiced_elsewhere = self._invoiced_elsewhere(number, invoice_number)
        return view

    def _store_order(self, number: str) -> OrderView | None:
        order = self.session.scalars(select(m.Order).filter_by(number=number)).first()
        if order is None:
            return None
        lines = self.session.scalars(select(m.OrderLine).filter_by(order_number=number))
        return OrderView(
            number,
            order.customer_number,
            order.ship_to_code,
            {ln.line_no: (ln.sku, ln.quantity, ln.unit_price) for ln in lines},
        )

    def _erp_order(self, number: str) -> OrderView | None:
        found = self._from_erp("order", lambda o: o.number).get(number)
        if not found:
            return None
        order = found[0]
        lines = {
            ln.line_no: (ln.sku, ln.quantity.value, ln.unit_price.amount) for ln in order.lines
        }
        return OrderView(number, order.customer_number, order.ship_to_code, lines)

    def store_shipped(self, number: str) -> dict[int, Decimal]:
        rows = self.session.execute(
            select(m.ShipmentLine.order_line_no, m.ShipmentLine.quantity)
            .join(m.Shipment, m.Shipment.number == m.ShipmentLine.shipment_number)
            .where(m.Shipment.order_number == number)
        ).all()
        shipped: dict[int, Decimal] = {}
        for line_no, quantity in rows:
            shipped[line_no] = shipped.get(line_no, Decimal(0)) + quantity
        return shipped

    def _erp_shipped(self, number: str) -> dict[int, Decimal]:
        shipped: dict[int, Decimal] = {}
        by_order = self._from_erp("shipment", lambda s: order_of_erp_key(s.order_number))
        for shipment in by_order.get(number, []):
            for line in shipment.lines:
                shipped[line.order_line_no] = (
                    shipped.get(line.order_line_no, Decimal(0)) + line.quantity.value
                )
        return shipped

    def _invoiced_elsewhere(self, order_number: str, invoice_number: str) -> dict[int, Decimal]:
        rows = self.session.execute(
            select(m.InvoiceLine.order_line_no, m.InvoiceLine.line_no, m.InvoiceLine.quantity)
            .join(m.Invoice, m.Invoice.number == m.InvoiceLine.invoice_number)
            .where(m.Invoice.order_number == order_number, m.Invoice.number != invoice_number)
            .where(m.Invoice.status != "cancelled")
        ).all()
        invoiced: dict[int, Decimal] = {}
        for order_line, line_no, quantity in rows:
            key = order_line if order_line is not None else line_no
            invoiced[key] = invoiced.get(key, Decimal(0)) + quantity
        return invoiced

    def country(self, customer_number: str, ship_to_code: str) -> str | None:
        row = self.session.scalars(
            select(m.ShipTo).filter_by(customer_number=customer_number, code=ship_to_code)
        ).first()
        if row is not None:
            return row.country or None
        found = self._from_erp("ship_to", lambda s: (s.customer_number, s.code))
        records = found.get((customer_number, ship_to_code))
        return records[0].address.country or None if records else None

    def price_level(self, customer_number: str) -> str | None:
        row = self.session.scalars(select(m.Customer).filter_by(number=customer_number)).first()
        if row is not None:
            return row.price_level or None
        found = self._from_erp("customer", lambda c: c.number).get(customer_number)
        return found[0].price_level or None if found else None

    def list_price(
        self, sku: str, level: str, currency: str, quantity: Decimal, on: date | None
    ) -> Decimal | None:
        """The unit price at the best quantity break the quantity reaches, valid on `on`."""
        rows = self.session.execute(
            select(
                m.PriceListEntry.min_quantity,
                m.PriceListEntry.unit_price,
                m.PriceListEntry.effective_from,
                m.PriceListEntry.effective_to,
            ).filter_by(sku=sku, price_level=level, currency=currency)
        ).all()
        if not rows:
            found = self._from_erp("price", lambda p: (p.sku, p.price_level, p.unit_price.currency))
            rows = [
                (p.min_quantity, p.unit_price.amount, p.effective_from, p.effective_to)
                for p in found.get((sku, level, currency), [])
            ]
        valid = [
            (low, price)
            for low, price, start, end in rows
            if low <= quantity
            and (on is None or ((start is None or start <= on) and (end is None or on <= end)))
        ]
        return max(valid)[1] if valid else None


class SyncInvoices(Job):
    job_id = "sync_invoices"
    first_window = timedelta(days=365)

    def __init__(self, settings: Any) -> None:
        super().__init__(settings)
        self.erp = get_connector(settings.erp, settings)
        self.rules = Rules.from_settings(settings)
        self._now = datetime.now(timezone.utc)
        self._erp_reads: dict[str, list[Any]] = {}
        self._indexes: dict[str, Any] = {}

    def plan(self, ctx: RunContext) -> Iterable[ItemSpec]:
        self._now = ctx.window_end
        planned: set[str] = set()
        for invoice in self.erp.read_changed("invoice", ctx.window_start, ctx.window_end):
            # An invoice billed from an order we posted names it by our key (SF-<number>).
            invoice.order_number = order_of_erp_key(invoice.order_number)
            version = invoice.modified_at.isoformat() if invoice.modified_at else ""
            planned.add(invoice.number)
            yield ItemSpec(invoice.number, rec.to_payload(invoice), version)
        yield from self._rechecks(planned)

    def _rechecks(self, planned: set[str]) -> list[ItemSpec]:
        """Invoices with an open quantity discrepancy, again as last checked, under a version
        that names what their order has shipped: redone once each time that changes."""
        found: list[ItemSpec] = []
        with session_scope(self.settings.database_url) as session:
            reference = Reference(session, self._read_erp, self._indexes)
            open_cases = session.execute(
                select(m.OpsException.business_key, m.OpsException.order_number).where(
                    m.OpsException.kind == "invoice_quantity_mismatch",
                    m.OpsException.status == "open",
                    m.OpsException.source_job == self.job_id,
                )
            ).all()
            for key, order_number in open_cases:
                number = key.split("/", 1)[0]
                if number in planned or not order_number:
                    continue
                planned.add(number)
                last = session.scalars(
                    select(m.WorkItem)
                    .where(
                        m.WorkItem.job_id == self.job_id,
                        m.WorkItem.business_key == number,
                        m.WorkItem.status == "done",
                    )
                    .order_by(m.WorkItem.id.desc())
                    .limit(1)
                ).first()
                if last is None:
                    continue
                shipped = sorted(reference.store_shipped(order_number).items())
                digest = hashlib.sha256(repr(shipped).encode()).hexdigest()[:12]
                version = f"{last.version.split('|')[0][:40]}|shipped:{digest}"
                found.append(ItemSpec(number, last.payload, version))
        return found

    def _read_erp(self, entity: str) -> list[Any]:
        if entity not in self._erp_reads:
            self._erp_reads[entity] = list(self.erp.read_changed(entity, EPOCH, self._now))
        return self._erp_reads[entity]

    def perform(self, ctx: RunContext, business_key: str, payload: Any) -> str | None:
        invoice = rec.from_payload(rec.Invoice, payload)
        with session_scope(self.settings.database_url) as session:
            try:
                with session.begin_nested():
                    upsert_invoice(session, invoice)
            except (ValueError, TypeError, LookupError, IntegrityError) as exc:
                raise RecordRejectedError(
                    f"cannot store invoice: {exc}",
                    system=self.settings.erp,
                    key=business_key,
                    hint="correct the invoice in the ERP",
                ) from exc
            reference = Reference(session, self._read_erp, self._indexes)
            cases = check_invoice(invoice, reference, self.rules, self.settings.erp)
            settle(
                session, self.settings, self.job_id, KINDS, invoice.number, cases, ctx.window_end
            )
        return f"{len(cases)} discrepancy(ies)" if cases else None

    def api_calls(self) -> int:
        return int(getattr(self.erp, "api_calls", 0))


# ---- the checks ---------------------------------------------------------------------------


def subtotal(invoice: rec.Invoice) -> Decimal:
    return sum(
        (money(ln.quantity.value * ln.unit_price.amount) for ln in invoice.lines), Decimal(0)
    )


def check_invoice(
    invoice: rec.Invoice, reference: Reference, rules: Rules, system: str
) -> list[Case]:
    """Every discrepancy of one invoice, each with its amount in the invoice's currency: the
    difference billed (over the shipped quantity, the order or list price, the expected tax,
    the allowed freight; negative when billed short), or the invoice's subtotal when its order
    is unknown."""

    def case(kind: str, key: str, message: str, amount: Decimal, hint: str, **details) -> Case:
        return Case(
            kind,
            key,
            message,
            order_number=invoice.order_number,
            system=system,
            hint=hint,
            amount=money(amount),
            currency=invoice.currency,
            details={"invoice": invoice.number, **{k: str(v) for k, v in details.items()}},
        )

    order = reference.order(invoice.order_number, invoice.number)
    if order is None:
        return [
            case(
                "invoice_without_order",
                invoice.number,
                f"invoice {invoice.number} names order {invoice.order_number!r}, "
                "which is neither in the store nor in the ERP",
                subtotal(invoice),
                "link the invoice to its sales order in the ERP",
            )
        ]
    cases = [
        c
        for line in invoice.lines
        for c in _line_cases(invoice, line, order, reference, rules, case)
    ]
    return cases + _tax_and_freight(invoice, order, reference, rules, case)


def _line_cases(invoice, line, order: OrderView, reference, rules: Rules, case) -> list[Case]:
    key = f"{invoice.number}/{line.line_no}"
    order_line_no = line.order_line_no if line.order_line_no is not None else line.line_no
    quantity, price = line.quantity.value, line.unit_price.amount
    found: list[Case] = []
    shipped = order.shipped.get(order_line_no, Decimal(0))
    invoiced = quantity + order.invoiced_elsewhere.get(order_line_no, Decimal(0))
    if invoiced - shipped > rules.quantity_tolerance:
        found.append(
            case(
                "invoice_quantity_mismatch",
                key,
                f"invoice {invoice.number} line {line.line_no} bills {invoiced} of order line "
                f"{order_line_no} where {shipped} shipped",
                (invoiced - shipped) * price,
                "credit the quantity not shipped, or find the missing shipment",
                invoiced=invoiced,
                shipped=shipped,
            )
        )
    ordered = order.lines.get(order_line_no)
    if ordered is None:
        return found
    sku, ordered_quantity, order_price = ordered
    level = reference.price_level(order.customer_number)
    listed = (
        reference.list_price(sku, level, invoice.currency, ordered_quantity, invoice.invoice_date)
        if level
        else None
    )
    if abs(price - order_price) > rules.price_tolerance:
        found.append(
            case(
                "invoice_price_mismatch",
                key,
                f"invoice {invoice.number} line {line.line_no} bills {sku} at {price} "
                f"{invoice.currency}; the order says {order_price}",
                (price - order_price) * quantity,
                "credit or rebill the difference, or correct the order price",
                invoice_price=price,
                order_price=order_price,
                list_price=listed if listed is not None else "",
            )
        )
    elif listed is not None and abs(price - listed) > rules.price_tolerance:
        found.append(
            case(
                "invoice_list_price_mismatch",
                key,
                f"invoice {invoice.number} line {line.line_no} bills {sku} at {price} "
                f"{invoice.currency} as ordered; the {level} price list says {listed}",
                (price - listed) * quantity,
                "confirm the special price was approved, or correct order and invoice",
                invoice_price=price,
                order_price=order_price,
                list_price=listed,
            )
        )
    return found


def _tax_and_freight(invoice, order: OrderView, reference, rules: Rules, case) -> list[Case]:
    found: list[Case] = []
    base = subtotal(invoice)
    country = reference.country(order.customer_number, order.ship_to_code)
    rate = rules.tax_rates.get(country or "")
    if rate is not None:
        expected = money(base * rate)
        if abs(invoice.tax - expected) > rules.tax_tolerance:
            found.append(
                case(
                    "invoice_tax_mismatch",
                    invoice.number,
                    f"invoice {invoice.number} charges tax {invoice.tax} {invoice.currency}; "
                    f"{rate} on {base} for {country} is {expected}",
                    invoice.tax - expected,
                    "correct the tax code on the invoice in the ERP",
                    tax=invoice.tax,
                    expected_tax=expected,
                    country=country,
                )
            )
    allowed = min(money(base * rules.freight_max_share), rules.freight_max)
    if invoice.freight > allowed:
        found.append(
            case(
                "invoice_freight_mismatch",
                invoice.number,
                f"invoice {invoice.number} charges freight {invoice.freight} "
                f"{invoice.currency}; the rule allows {allowed}",
                invoice.freight - allowed,
                "check the freight charge with the carrier's rate before sending the invoice",
                freight=invoice.freight,
                allowed=allowed,
            )
        )
    return found
