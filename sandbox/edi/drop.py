"""The retailer's drop of a seed: which orders travel in which interchange, group and set, by
file or by AS2, and the bytes of each file. Pure: nothing is written here (partner.py writes).

Deterministic: the orders come from the cases (sandbox/edi/cases.py), their PO numbers
("4500" + 6 digits) from the same seed, every date from the world's today.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta, timezone

from sandbox.edi.cases import EDI, draft
from sandbox.edi.orders import PurchaseOrder, body_850, body_860
from sandbox.edi.x12 import OutGroup, OutSet, Party, interchange
from sandbox.world.records import World

PARTNER = Party("ZZ", "BEACONRETAIL", "BEACONRETAIL")
ORDERBRIDGE = Party("ZZ", "ORDERBRIDGE", "ORDERBRIDGE")
FIRST_INTERCHANGE = 101  # ISA13 of the first file; the poll's answers go on from ANSWERS_FROM
ANSWERS_FROM = 201
FIRST_GROUP = 1001
# The files in drop order, each interchange's groups and, in each, the cases of its sets'
# orders (the n-th use of a case takes its n-th order; "again" re-sends one already sent).
LAYOUT: tuple[tuple[str, tuple[tuple[str, ...], ...]], ...] = (
    ("file", (("edi_order", "edi_po_change", "edi_997_late", "edi_duplicate_po"),
              ("edi_unknown_item", "edi_997_rejected"))),
    ("file", (("edi_po_change", "edi_bad_segment", "edi_unmapped_store", "edi_order"),)),
    ("file", (("edi_resent_interchange",),)),
    ("resend", ()),  # the file before, byte for byte, under a name sorting after it
    ("file", (("edi_order", "again:edi_duplicate_po"),)),
    ("garbage", ()),
    ("as2", (("edi_over_as2",),)),
    ("as2", (("edi_over_as2",),)),
)  # fmt: skip


@dataclass(frozen=True)
class Drop:
    files: tuple[tuple[str, bytes], ...]  # into inbound/, in this order
    as2: tuple[tuple[str, bytes], ...]  # into partner/as2_outbox/
    planted: dict[str, tuple[str, ...]]  # case -> PO numbers (edi_unreadable: its file)
    changes: dict[str, list[list[str]]]  # PO number -> the 860 body its buyer sends later
    next_group: int  # the next GS06 the partner's answers use


def _numbered(world: World, drafted: dict[str, list]) -> dict[str, list[PurchaseOrder]]:
    """The orders with their PO numbers, rising in the order they are first sent."""
    rng = random.Random(f"edi-po-numbers:{world.seed}")
    count = sum(len(pos) for name, pos in drafted.items() if name != "edi_unreadable")
    numbers = iter(sorted(rng.sample(range(1_000_000), count)))
    taken: dict[str, int] = {}
    numbered: dict[str, list[PurchaseOrder]] = {name: [] for name in drafted}
    for _, groups in LAYOUT:
        for case in (c for g in groups for c in g if not c.startswith("again:")):
            po = drafted[case][taken.get(case, 0)]
            taken[case] = taken.get(case, 0) + 1
            numbered[case].append(replace(po, number=f"4500{next(numbers):06d}"))
    return numbered


def _groups(
    groups: tuple[tuple[str, ...], ...],
    numbered: dict[str, list[PurchaseOrder]],
    taken: dict[str, int],
    control: int,
) -> tuple[list[OutGroup], int]:
    """An interchange's groups of 850s; `taken` counts the orders of each case used so far
    (a re-send counts apart, so it takes the case's first order again)."""
    out = []
    for cases in groups:
        sets = []
        for n, case in enumerate(cases, start=1):
            name = case.removeprefix("again:")
            po = numbered[name][taken.get(case, 0)]
            taken[case] = taken.get(case, 0) + 1
            wrong = len(body_850(po)) + 3 if name == "edi_bad_segment" else None
            sets.append(OutSet("850", f"{n:04d}", body_850(po), se01=wrong))
        out.append(OutGroup("PO", control, sets))
        control += 1
    return out, control


def _sent_at(today: date, index: int) -> datetime:
    return datetime.combine(today, time(6, 0), timezone.utc) + timedelta(minutes=10 * index)


def plan(world: World, today: date) -> Drop:
    """The seed's drop on `today`: every file's bytes and the planted cases' PO numbers."""
    drafted = draft(world, today)
    numbered = _numbered(world, drafted)
    files: list[tuple[str, bytes]] = []
    as2: list[tuple[str, bytes]] = []
    control, group = FIRST_INTERCHANGE, FIRST_GROUP
    unreadable = ""
    taken: dict[str, int] = {}
    for index, (kind, groups) in enumerate(LAYOUT):
        if kind == "resend":
            files.append((files[-1][0].replace(".x12", "_resent.x12"), files[-1][1]))
            continue
        name = f"{control:09d}-850.x12"
        if kind == "garbage":
            unreadable = name
            files.append((name, drafted["edi_unreadable"][0]))
        else:
            out, group = _groups(groups, numbered, taken, group)
            data = interchange(PARTNER, ORDERBRIDGE, control, out, _sent_at(today, index))
            (as2 if kind == "as2" else files).append((name, data))
        control += 1
    planted = {name: tuple(po.number for po in numbered[name]) for name in EDI.cases}
    planted["edi_unreadable"] = (unreadable,)
    changes = {
        po.number: [list(row) for row in body_860(po, today)] for po in numbered["edi_po_change"]
    }
    return Drop(tuple(files), tuple(as2), planted, changes, group)
