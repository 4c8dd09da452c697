"""Planted cases: the registries, and the README tables they print.

A case is a small function registered under its name: its docstring says what it changes, it
returns the order numbers it marks, and `world.planted` maps each case to them. Two
registries, each run in the order its cases are registered, which is the order of their draws
from the registry's own generator (so the rest of the world does not change with them):

- INBOUND (sandbox/world/cases_in.py): shipment exceptions, invoice discrepancies and
  reconciliation classes planted on the ERP's orders, shipments and invoices, one case to an
  order, for track_shipments, sync_invoices and reconcile_orders;
- OUTBOUND (sandbox/world/cases_out.py): new orders activated in Salesforce and not yet in any
  ERP, each carrying one case, for sync_orders, push_fulfillments and release_backorders.

A new case is one function plus its decorator. `python -m sandbox.cli planted` prints the
README's two tables from the registries (seed 1, as `make run` seeds); tests/sandbox/
test_world.py holds the README to them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

SEED = 1  # the README's world, as `make run` seeds it


@dataclass(frozen=True)
class Case:
    name: str
    plant: Callable[..., Any]
    shows: str  # what a user sees after a few cycles, for the README
    also: tuple[str, ...] = ()  # other cases the same orders count under
    count: int = 0  # outbound: how many new orders carry it (0: found in the world as it is)


@dataclass
class Registry:
    """Cases in the order they run."""

    cases: dict[str, Case] = field(default_factory=dict)

    def case(
        self, name: str, shows: str, *, also: tuple[str, ...] = (), count: int = 0
    ) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
        def register(plant: Callable[..., Any]) -> Callable[..., Any]:
            if name in self.cases:
                raise ValueError(f"planted case {name} registered twice")
            self.cases[name] = Case(name, plant, shows, also, count)
            return plant

        return register


INBOUND = Registry()
OUTBOUND = Registry()


def mark(planted: dict[str, tuple[str, ...]], case: Case, numbers: tuple[str, ...]) -> None:
    """Count these orders under the case (and the cases it also counts under)."""
    for name in (case.name, *case.also):
        planted[name] = tuple(sorted(planted.get(name, ()) + tuple(numbers)))


# -- the README's tables ----------------------------------------------------------------------

_SECTIONS = ("shipment", "invoice", "recon")  # inbound rows, grouped as the jobs find them


def _orders(numbers: tuple[str, ...]) -> str:
    ints = [int(n) for n in numbers]
    if len(ints) > 2 and ints == list(range(ints[0], ints[0] + len(ints))):
        return f"{len(ints)} ({numbers[0]}-{numbers[-1]})"
    return f"{len(ints)} ({', '.join(numbers)})"


def _section(name: str) -> int:
    prefix = name.split("_", 1)[0]
    return _SECTIONS.index(prefix) if prefix in _SECTIONS else 0


def outbound_table(planted: dict[str, tuple[str, ...]]) -> str:
    rows = ["| case | orders (seed 1) | what you see after a few cycles |", "|---|---|---|"]
    for case in OUTBOUND.cases.values():
        rows.append(f"| `{case.name}` | {_orders(planted[case.name])} | {case.shows} |")
    return "\n".join(rows)


def inbound_table(planted: dict[str, tuple[str, ...]]) -> str:
    rows = ["| case | seed 1 |", "|---|---|"]
    ordered = sorted(INBOUND.cases.values(), key=lambda c: _section(c.name))
    for case in ordered:
        note = f" ({case.shows})" if case.shows else ""
        rows.append(f"| `{case.name}` | {len(planted[case.name])}{note} |")
    return "\n".join(rows)


def readme_tables(today: date) -> str:
    """The README's outbound and inbound tables, from the registries and seed 1's world."""
    from sandbox.world.build import build_world  # the cases register as it imports them

    planted = build_world(SEED, today).planted
    return f"{outbound_table(planted)}\n\n{inbound_table(planted)}"
