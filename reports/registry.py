"""The one list of reports the portal, the CLI and the digest read: each report's name, title,
definition, who may see it, how its rows are computed and its workbook columns."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from types import ModuleType
from typing import Any

from sqlalchemy.orm import Session

from reports import aging, backorders
from reports.base import Column, Options

Rows = list[dict[str, Any]]
# Coordinators chase open orders and backorders; finance reads the open order book's value.
COORDINATION = frozenset({"coordinator", "admin"})
ORDER_BOOK = COORDINATION | {"finance"}


@dataclass(frozen=True)
class Report:
    name: str
    title: str
    definition: str
    roles: frozenset[str]
    compute: Callable[[Session, Options], Rows]
    columns: tuple[Column, ...]


def _declared(name: str, title: str, roles: frozenset[str], module: ModuleType) -> Report:
    """A report from its module's DEFINITION, rows() and COLUMNS."""
    return Report(name, title, module.DEFINITION, roles, module.rows, module.COLUMNS)


REPORTS: dict[str, Report] = {
    report.name: report
    for report in (
        _declared("aging", "Open-order aging", ORDER_BOOK, aging),
        _declared("backorders", "Backorder list", COORDINATION, backorders),
    )
}
