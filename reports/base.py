"""What every report declares: its workbook columns, the options it is computed with, and how
a value reads on a page. The registry (reports/registry.py) lists the reports themselves."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from config.schema import parse_day_edges

KINDS = ("text", "count", "qty", "money", "date")
FORMATS = {"count": "0", "qty": "#,##0.###", "money": "#,##0.00"}
CENT = Decimal("0.01")
DEFAULT_AGING_BUCKETS = (7, 14, 30, 60, 90)
DEFAULT_RELEASE_RULE = "customer_priority,order_date"


@dataclass(frozen=True)
class Column:
    """A column of a report's rows: the row's key, its heading, and what kind of value it is
    (text, count, qty, money, date); a count column may also hold a text saying why not."""

    key: str
    heading: str
    kind: str = "text"

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"column {self.key}: kind {self.kind!r} is not one of {KINDS}")


@dataclass(frozen=True)
class Options:
    """What a report is computed with: the day it is measured on (never read from a clock
    inside a report) and the settings reports read."""

    as_of: date
    aging_buckets: tuple[int, ...] = DEFAULT_AGING_BUCKETS
    release_rule: str = DEFAULT_RELEASE_RULE

    @classmethod
    def from_settings(cls, settings: Any, as_of: date) -> Options:
        return cls(
            as_of=as_of,
            aging_buckets=parse_day_edges(
                settings.get_path("reports.aging_buckets", list(DEFAULT_AGING_BUCKETS))
            ),
            release_rule=settings.get_path("flows.backorder_release_rule", DEFAULT_RELEASE_RULE),
        )


def line_value(quantity: Decimal, unit_price: Decimal) -> Decimal:
    """A quantity of a line at its unit price, to the cent (as the exception amounts are)."""
    return (quantity * unit_price).quantize(CENT)


def age_days(ordered: date | None, as_of: date) -> int | None:
    """Whole days from the order date to `as_of`; None without an order date."""
    return (as_of - ordered).days if ordered else None


def display(column: Column, value: Any) -> str:
    """A value as a page shows it: money to the cent with separators, dates ISO, none empty."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if column.kind == "money":
        return f"{value:,.2f}"
    if column.kind == "qty" and isinstance(value, Decimal):
        return f"{value.normalize():,f}"
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def cell(value: Any) -> Any:
    """A value as the workbook holds it: text stays text, numbers numbers, dates ISO text."""
    if isinstance(value, date):
        return value.isoformat()
    return value
