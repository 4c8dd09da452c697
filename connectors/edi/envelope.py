"""Envelope validation: the counts and control numbers that tie each ISA, GS and ST to the
trailer closing it, and the ISA's fixed layout. Each failure names where it is (interchange,
group, set, segment position, element) and carries the code a 997 (AK5 for a set, AK9 for a
group) or a TA1 (the interchange) reports it with.
"""

from __future__ import annotations

from dataclasses import dataclass

from connectors.edi.x12 import ISA_LENGTH, Document, Group, Interchange, TransactionSet

# ISA01..ISA16 widths: the ISA is fixed length, so a receiver can find its delimiters.
ISA_WIDTHS = (2, 10, 2, 10, 2, 15, 2, 15, 6, 4, 1, 5, 9, 1, 1, 1)
# The codes of X12's acknowledgments (997 AK5-02 and AK9-02, TA1-05) for each failure.
SET_NO_TRAILER = "2"  # AK5: transaction set trailer missing
SET_CONTROL_MISMATCH = "3"  # AK5: ST02 and SE02 differ
SET_COUNT_WRONG = "4"  # AK5: SE01 is not the number of segments
GROUP_NO_TRAILER = "3"  # AK9: functional group trailer missing
GROUP_CONTROL_MISMATCH = "4"  # AK9: GS06 and GE02 differ
GROUP_COUNT_WRONG = "5"  # AK9: GE01 is not the number of sets
TA1_CONTROL_MISMATCH = "001"  # TA1: ISA13 and IEA02 differ
TA1_NO_TRAILER = "023"  # TA1: improper (premature) end of file
TA1_COUNT_WRONG = "021"  # TA1: invalid number of included groups
TA1_BAD_HEADER = "024"  # TA1: invalid interchange content


@dataclass(frozen=True)
class EnvelopeError:
    """One failure, with where it is and what an acknowledgment calls it."""

    level: str  # "interchange", "group" or "set"
    code: str
    message: str
    interchange: str
    group: str = ""
    tset: str = ""
    position: int | None = None  # the segment's position in the interchange
    element: str = ""  # e.g. "SE01"

    def __str__(self) -> str:
        where = [f"interchange {self.interchange}"]
        where += [f"group {self.group}"] if self.group else []
        where += [f"set {self.tset}"] if self.tset else []
        if self.position is not None:
            where.append(f"segment {self.position}")
        if self.element:
            where.append(self.element)
        return f"{', '.join(where)}: {self.message}"


def _count(text: str) -> int | None:
    return int(text) if text.strip().isdigit() else None


def check_set(interchange: Interchange, group: Group, tset: TransactionSet) -> list[EnvelopeError]:
    where = {"interchange": interchange.control, "group": group.control, "tset": tset.control}
    if tset.se is None:
        message = f"set {tset.set_id} has no SE trailer"
        return [EnvelopeError("set", SET_NO_TRAILER, message, **where, position=tset.st.position)]
    found = []
    if tset.se.element(2) != tset.control:
        found.append(
            EnvelopeError(
                "set", SET_CONTROL_MISMATCH,
                f"SE02 is {tset.se.element(2)!r} but ST02 is {tset.control!r}",
                **where, position=tset.se.position, element="SE02",
            )
        )  # fmt: skip
    segments = len(tset.body) + 2
    if _count(tset.se.element(1)) != segments:
        found.append(
            EnvelopeError(
                "set", SET_COUNT_WRONG,
                f"SE01 says {tset.se.element(1)!r} segments; the set has {segments}",
                **where, position=tset.se.position, element="SE01",
            )
        )  # fmt: skip
    return found


def check_group(interchange: Interchange, group: Group) -> list[EnvelopeError]:
    where = {"interchange": interchange.control, "group": group.control}
    if group.ge is None:
        message = f"group {group.functional_id} has no GE trailer"
        return [EnvelopeError("group", GROUP_NO_TRAILER, message, **where,
                              position=group.gs.position)]  # fmt: skip
    found = []
    if group.ge.element(2) != group.control:
        found.append(
            EnvelopeError(
                "group", GROUP_CONTROL_MISMATCH,
                f"GE02 is {group.ge.element(2)!r} but GS06 is {group.control!r}",
                **where, position=group.ge.position, element="GE02",
            )
        )  # fmt: skip
    if _count(group.ge.element(1)) != len(group.sets):
        found.append(
            EnvelopeError(
                "group", GROUP_COUNT_WRONG,
                f"GE01 says {group.ge.element(1)!r} sets; the group has {len(group.sets)}",
                **where, position=group.ge.position, element="GE01",
            )
        )  # fmt: skip
    return found


def _header(interchange: Interchange) -> list[EnvelopeError]:
    """The ISA's fixed layout: 16 elements of their set widths, 106 characters in all."""
    control = interchange.control
    widths = [len(value) for value in interchange.isa.elements]
    if len(widths) != 16 or len(interchange.isa_text) != ISA_LENGTH:
        wrong = [
            f"ISA{n:02d} is {got} characters, not {want}"
            for n, (got, want) in enumerate(zip(widths, ISA_WIDTHS, strict=False), start=1)
            if got != want
        ]
        detail = "; ".join(wrong) if wrong else f"it has {len(widths)} elements, not 16"
        message = f"the ISA is {len(interchange.isa_text)} characters, not {ISA_LENGTH}: {detail}"
        element = wrong[0][:5] if wrong else ""
        return [EnvelopeError("interchange", TA1_BAD_HEADER, message, control, position=1,
                              element=element)]  # fmt: skip
    return []


def check_interchange(interchange: Interchange) -> list[EnvelopeError]:
    found = _header(interchange)
    control = interchange.control
    iea = interchange.iea
    if iea is None:
        message = "the interchange has no IEA trailer"
        found.append(EnvelopeError("interchange", TA1_NO_TRAILER, message, control))
    else:
        if iea.element(2) != control:
            message = f"IEA02 is {iea.element(2)!r} but ISA13 is {control!r}"
            found.append(EnvelopeError("interchange", TA1_CONTROL_MISMATCH, message, control,
                                       position=iea.position, element="IEA02"))  # fmt: skip
        if _count(iea.element(1)) != len(interchange.groups):
            message = (
                f"IEA01 says {iea.element(1)!r} groups; the interchange has "
                f"{len(interchange.groups)}"
            )
            found.append(EnvelopeError("interchange", TA1_COUNT_WRONG, message, control,
                                       position=iea.position, element="IEA01"))  # fmt: skip
    for group in interchange.groups:
        found += check_group(interchange, group)
        for tset in group.sets:
            found += check_set(interchange, group, tset)
    return found


def validate(document: Document) -> list[EnvelopeError]:
    """Every envelope failure of every interchange in the file, in the order they occur."""
    return [
        error for interchange in document.interchanges for error in check_interchange(interchange)
    ]
