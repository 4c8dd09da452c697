"""What the retailer says of a group Orderbridge sent: each set judged (its trailer, and the
planted rejection of certain invoices), the 997 body for the group, and the PO numbers a set
is about (855 BAK03, 856 PRF01, 810 BIG04)."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from sandbox.edi.x12 import Group, Row, TransactionSet, set_error

SEGMENTS_IN_ERROR = "5"  # AK5-02: one or more segments in error
ELEMENT_ERRORS = "8"  # AK3-04: the segment has data element errors
INVALID_CODE = "7"  # AK4-03: invalid code value
# Where a planted rejected 810 is faulted: IT103 (data element 355, unit of measure).
REJECTED_AT = ("IT1", 3, "355")


@dataclass(frozen=True)
class Verdict:
    tset: TransactionSet
    code: str = ""  # AK5-02 when rejected; "" accepted
    notes: tuple[Row, ...] = ()  # AK3 / AK4 rows saying where

    @property
    def accepted(self) -> bool:
        return not self.code


def po_numbers(tset: TransactionSet) -> set[str]:
    """The purchase orders a set answers: an 855's BAK03, an 856's PRF01s, an 810's BIG04."""
    where = {"855": ("BAK", 3), "856": ("PRF", 1), "810": ("BIG", 4)}.get(tset.set_id)
    if where is None:
        return set()
    tag, number = where
    return {s.element(number) for s in tset.body if s.tag == tag and s.element(number)}


def _rejected_invoice(tset: TransactionSet) -> Verdict:
    tag, element, reference = REJECTED_AT
    segment = tset.first(tag)
    if segment is None:
        return Verdict(tset, SEGMENTS_IN_ERROR)
    notes = (
        ("AK3", tag, str(segment.position), "", ELEMENT_ERRORS),
        ("AK4", str(element), reference, INVALID_CODE, segment.element(element)),
    )
    return Verdict(tset, SEGMENTS_IN_ERROR, notes)


def judge(tset: TransactionSet, rejected_pos: Collection[str]) -> Verdict:
    """A set's trailer first (a wrong SE01 or SE02 rejects it), then the planted 810s."""
    code = set_error(tset)
    if code is not None:
        return Verdict(tset, code)
    if tset.set_id == "810" and po_numbers(tset) & set(rejected_pos):
        return _rejected_invoice(tset)
    return Verdict(tset)


def body_997(group: Group, verdicts: list[Verdict]) -> list[Row]:
    """AK1, an AK2 loop per set (AK3/AK4 where rejected, AK5), AK9 with the counts."""
    rows: list[Row] = [("AK1", group.functional_id, group.control)]
    for v in verdicts:
        rows.append(("AK2", v.tset.set_id, v.tset.control))
        rows += v.notes
        rows.append(("AK5", "A") if v.accepted else ("AK5", "R", v.code))
    accepted = sum(v.accepted for v in verdicts)
    status = "A" if accepted == len(verdicts) else "R" if not accepted else "P"
    included = group.ge.element(1) if group.ge is not None else str(len(verdicts))
    rows.append(("AK9", status, included, str(len(verdicts)), str(accepted)))
    return rows
