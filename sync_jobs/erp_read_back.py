"""Reading the ERP back: after a crash mid-write, does it already hold the change (so it is
booked, not sent again); and a customer's address book as the ERP holds it now, for a
removal that writes the book whole."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from core import records as rec
from core.errors import RecordRejectedError
from templates_xlsx.kind import Change, SheetKind

log = logging.getLogger(__name__)


def kept_lines(connector: Any, erp: str, removes: tuple[str, str]) -> list[Any]:
    """The customer's address book as the ERP holds it now, without the line removed."""
    customer, code = removes
    book = read_book(connector, customer)
    if book is None:  # a connector without address book reads (ERP errors raise)
        raise RecordRejectedError(
            f"the {erp} connector cannot read the address book of "
            f"customer {customer}, so address {code} was not removed",
            system=erp,
            key=f"{customer}/{code}",
            hint=f"remove the address in {erp} itself",
        )
    kept = [line for line in book.values() if line.code != code]
    if kept and len(kept) == len(book):
        return []  # already gone from the ERP: only the store follows
    if not kept:
        raise RecordRejectedError(
            f"address {code} is the only address of customer {customer}; it was not removed",
            system=erp,
            key=f"{customer}/{code}",
            hint=f"add another address first, or remove it in {erp}",
        )
    return kept


def landed(connector: Any, kind: SheetKind, change: Change) -> bool:
    """Does the ERP already hold the change (a write that landed before a crash)?"""
    if change.removes is not None:
        customer, code = change.removes
        book = _readable(lambda: read_book(connector, customer))
        return book is not None and f"{customer}/{code}" not in book
    try:
        found = read_back(connector, change.entity, change.records)
    except Exception:  # noqa: BLE001 - unreadable means unknown: post again (upserts repeat safely)
        log.warning("could not read back %s; posting again", change.entity, exc_info=True)
        return False
    return found is not None and all(
        kind.same_record(record, found.get(_external_id(record))) for record in change.records
    )


def _external_id(record: Any) -> str:
    return record.external_id or ""


def read_book(connector: Any, customer: str) -> dict[str, Any] | None:
    """A customer's address book lines in the ERP, by external id; None when it cannot tell."""
    stub = rec.ShipTo(source_system="orderbridge", source_key="", customer_number=customer)
    return read_back(connector, "ship_to", [stub])


def _readable(read: Callable[[], Any]) -> Any:
    try:
        return read()
    except Exception:  # noqa: BLE001 - unreadable means unknown: the job posts again
        log.warning("could not read back from the ERP", exc_info=True)
        return None


def read_back(connector: Any, entity: str, records: list[Any]) -> dict[str, Any] | None:
    """The ERP's current records for these, by external id; None when it cannot tell."""
    if entity == "order" and hasattr(connector, "read"):  # orders read by our external id
        keys = [_external_id(r) for r in records]
        return rec.orders_by_key(connector.read(entity, keys), keys)
    client = getattr(connector, "client", None)
    if client is None or not hasattr(client, "get_list"):
        return None
    from connectors.netsuite.connector import ENTITIES

    owner = {"price": ("inventoryItem", lambda r: r.sku),
             "ship_to": ("customer", lambda r: r.customer_number),
             "order": ("salesOrder", lambda r: r.number)}[entity]  # fmt: skip
    refs = [{"type": owner[0], "externalId": k} for k in sorted({owner[1](r) for r in records})]
    parsed: list[Any] = []
    for status, element in client.get_list(refs):
        if not status.ok or element is None:
            continue
        result = ENTITIES[entity].parse(element)
        parsed.extend(result if isinstance(result, list) else [result])
    return {_external_id(r): r for r in parsed}
