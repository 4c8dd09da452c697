"""Building outbound interchanges: the envelopes (ISA/GS/ST and their trailers with the right
counts and control numbers) around sets given as plain segments, so a set builder writes
only its own segments."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from connectors.edi.x12 import Delimiters

Segments = Sequence[Sequence[str]]  # each: tag, then its elements
DEFAULT_DELIMITERS = Delimiters("*", ">", "~", "^")


@dataclass(frozen=True)
class Party:
    qualifier: str  # ISA05/ISA07, e.g. ZZ, 01, 12
    isa_id: str  # ISA06/ISA08, padded to 15
    gs_id: str  # GS02/GS03


@dataclass(frozen=True)
class OutSet:
    set_id: str
    control: str
    segments: Segments  # the body, between ST and SE


@dataclass(frozen=True)
class OutGroup:
    functional_id: str  # GS01: PO, PR, SH, IN, FA
    control: str
    version: str  # GS08, e.g. 004010
    sets: Sequence[OutSet]


def _isa(sender: Party, receiver: Party, control: str, when: datetime, d: Delimiters,
         version: str, test: bool) -> list[str]:  # fmt: skip
    repetition = d.repetition if version >= "00402" and d.repetition else "U"
    return [
        "ISA", "00", " " * 10, "00", " " * 10,
        sender.qualifier.ljust(2), sender.isa_id.ljust(15)[:15],
        receiver.qualifier.ljust(2), receiver.isa_id.ljust(15)[:15],
        when.strftime("%y%m%d"), when.strftime("%H%M"), repetition, version,
        control.rjust(9, "0")[-9:], "0", "T" if test else "P", d.sub_element,
    ]  # fmt: skip


def interchange(
    sender: Party,
    receiver: Party,
    control: str,
    groups: Sequence[OutGroup],
    when: datetime,
    delimiters: Delimiters = DEFAULT_DELIMITERS,
    isa_version: str = "00401",
    test: bool = False,
    line_break: str = "\n",
) -> str:
    """The interchange as text: every count and control number in its trailers is right."""
    rows: list[Sequence[str]] = [
        _isa(sender, receiver, control, when, delimiters, isa_version, test)
    ]
    for group in groups:
        rows.append(["GS", group.functional_id, sender.gs_id, receiver.gs_id,
                     when.strftime("%Y%m%d"), when.strftime("%H%M"), group.control, "X",
                     group.version])  # fmt: skip
        for out in group.sets:
            rows.append(["ST", out.set_id, out.control])
            rows.extend(out.segments)
            rows.append(["SE", str(len(out.segments) + 2), out.control])
        rows.append(["GE", str(len(group.sets)), group.control])
    rows.append(["IEA", str(len(groups)), control.rjust(9, "0")[-9:]])
    # a terminator that is itself a line break needs no other
    end = delimiters.segment + ("" if delimiters.segment in "\r\n" else line_break)
    return "".join(delimiters.element.join(row).rstrip(delimiters.element) + end
                   if row[0] != "ISA" else delimiters.element.join(row) + end
                   for row in rows)  # fmt: skip
