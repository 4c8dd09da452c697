"""Spreadsheet kinds: one module each, one registry line each.

Each kind declares its columns (a marshmallow schema of cell fields), cross-checks against
the store, approval rule and work items; its template is generated from that declaration.
The upload pipeline is safety pre-check -> parse in a limited child -> validation -> preview.
"""

from __future__ import annotations

from core.errors import ConfigError
from templates_xlsx import audit_review, order_changes, price_list, ship_tos
from templates_xlsx.kind import SheetKind

KINDS: dict[str, SheetKind] = {
    "order_changes": order_changes.KIND,
    "price_list": price_list.KIND,
    "ship_tos": ship_tos.KIND,
    "audit_review": audit_review.KIND,
}


def posted_kinds() -> frozenset[str]:
    """The kinds whose approved rows are posted to an ERP."""
    return frozenset(name for name, kind in KINDS.items() if kind.entity is not None)


def taken_by(erp: str) -> frozenset[str]:
    """The kinds this ERP takes from Orderbridge, as each kind states (kind.erps)."""
    return frozenset(name for name, kind in KINDS.items() if erp in kind.erps)


def get_kind(name: str) -> SheetKind:
    try:
        return KINDS[name]
    except KeyError:
        raise ConfigError(
            f"no spreadsheet kind {name!r}", key="kind", hint="one of " + ", ".join(KINDS)
        ) from None
