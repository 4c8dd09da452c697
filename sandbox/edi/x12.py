"""The partner's own small X12 codec: writing an interchange (ISA/GS/ST..SE/GE/IEA with their
counts and control numbers) and reading one back into its envelopes and segments.

The sandbox imports nothing of Orderbridge's, so the retailer reads and writes X12 with this
code alone, as a real partner's translator would: a fixed-length ISA, the delimiters it
declares, a line break after each terminator for people reading the files.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

ISA_LENGTH = 106  # the ISA's fixed length, its segment terminator included
ISA_WIDTHS = (2, 10, 2, 10, 2, 15, 2, 15, 6, 4, 1, 5, 9, 1, 1, 1)
Row = Sequence[str]  # a segment to write: its tag, then its elements


class X12ReadError(ValueError):
    """Bytes that are not an X12 interchange, or whose envelopes do not nest."""


@dataclass(frozen=True)
class Delimiters:
    element: str = "*"
    sub_element: str = ">"
    segment: str = "~"


@dataclass(frozen=True)
class Party:
    qualifier: str  # ISA05 / ISA07
    isa_id: str  # ISA06 / ISA08
    gs_id: str  # GS02 / GS03


@dataclass(frozen=True)
class OutSet:
    set_id: str
    control: str
    body: Sequence[Row]  # the segments between ST and SE
    # A broken translator's SE01, to plant a wrong count; None writes the true one.
    se01: int | None = None


@dataclass(frozen=True)
class OutGroup:
    functional_id: str  # GS01: PO, PC, FA, ...
    control: int
    sets: Sequence[OutSet]
    version: str = "004010"


# -- writing ----------------------------------------------------------------------------------


def _isa(sender: Party, receiver: Party, control: int, when: datetime, d: Delimiters) -> Row:
    # 004010: ISA11 is the standards id "U"; the repetition separator came with 00402.
    return (
        "ISA", "00", " " * 10, "00", " " * 10,
        sender.qualifier.ljust(2), sender.isa_id.ljust(15),
        receiver.qualifier.ljust(2), receiver.isa_id.ljust(15),
        when.strftime("%y%m%d"), when.strftime("%H%M"), "U", "00401",
        f"{control:09d}", "0", "P", d.sub_element,
    )  # fmt: skip


def _group_rows(sender: Party, receiver: Party, group: OutGroup, when: datetime) -> list[Row]:
    rows: list[Row] = [
        ("GS", group.functional_id, sender.gs_id, receiver.gs_id, when.strftime("%Y%m%d"),
         when.strftime("%H%M"), str(group.control), "X", group.version),
    ]  # fmt: skip
    for out in group.sets:
        count = len(out.body) + 2 if out.se01 is None else out.se01
        rows += [("ST", out.set_id, out.control), *out.body, ("SE", str(count), out.control)]
    rows.append(("GE", str(len(group.sets)), str(group.control)))
    return rows


def _render(row: Row, element: str) -> str:
    """A segment's text; trailing empty elements are not written, as X12 asks."""
    values = list(row)
    while len(values) > 1 and values[-1] == "":
        values.pop()
    return element.join(values)


def interchange(
    sender: Party,
    receiver: Party,
    control: int,
    groups: Sequence[OutGroup],
    when: datetime,
    delimiters: Delimiters = Delimiters(),
) -> bytes:
    """One interchange as bytes, every trailer's count and control number right (unless a set
    plants its own SE01)."""
    rows: list[Row] = []
    for group in groups:
        rows += _group_rows(sender, receiver, group, when)
    rows.append(("IEA", str(len(groups)), f"{control:09d}"))
    isa = delimiters.element.join(_isa(sender, receiver, control, when, delimiters))
    lines = [isa] + [_render(row, delimiters.element) for row in rows]
    return "".join(f"{line}{delimiters.segment}\n" for line in lines).encode("ascii")


# -- reading ----------------------------------------------------------------------------------


@dataclass
class Segment:
    tag: str
    elements: list[str]
    position: int  # in its set (ST is 1), as a 997's AK3 counts; 0 outside a set

    def element(self, number: int) -> str:
        """Element `number`, 1-based as X12 counts (BEG03 is element(3)); "" when absent."""
        return self.elements[number - 1] if 0 < number <= len(self.elements) else ""


@dataclass
class TransactionSet:
    st: Segment
    body: list[Segment] = field(default_factory=list)
    se: Segment | None = None

    @property
    def set_id(self) -> str:
        return self.st.element(1)

    @property
    def control(self) -> str:
        return self.st.element(2)

    def first(self, tag: str) -> Segment | None:
        return next((s for s in self.body if s.tag == tag), None)


@dataclass
class Group:
    gs: Segment
    sets: list[TransactionSet] = field(default_factory=list)
    ge: Segment | None = None

    @property
    def functional_id(self) -> str:
        return self.gs.element(1)

    @property
    def control(self) -> str:
        return self.gs.element(6)


@dataclass
class Interchange:
    isa: Segment
    delimiters: Delimiters
    groups: list[Group] = field(default_factory=list)
    iea: Segment | None = None

    @property
    def control(self) -> str:
        return self.isa.element(13)

    @property
    def sender(self) -> tuple[str, str]:
        return self.isa.element(5), self.isa.element(6).strip()

    @property
    def receiver(self) -> tuple[str, str]:
        return self.isa.element(7), self.isa.element(8).strip()


def delimiters_of(text: str) -> Delimiters:
    """The delimiters the ISA at the start of `text` declares: the element separator is its
    fourth character, the sub-element separator ISA16, the terminator the one after it."""
    if not text.startswith("ISA") or len(text) < ISA_LENGTH:
        raise X12ReadError("not an X12 interchange: it does not begin with a full ISA segment")
    element = text[3]
    fields = text[:ISA_LENGTH].split(element)
    widths = tuple(len(f) for f in fields[1:17])
    if len(fields) != 17 or widths[:15] != ISA_WIDTHS[:15]:
        raise X12ReadError(f"not an X12 interchange: the ISA is not fixed length ({widths})")
    return Delimiters(element, text[ISA_LENGTH - 2], text[ISA_LENGTH - 1])


def _segments(text: str, d: Delimiters) -> list[list[str]]:
    pieces = (piece.strip("\r\n\t ") for piece in text.split(d.segment))
    return [piece.split(d.element) for piece in pieces if piece]


_ENVELOPE = ("ISA", "GS", "ST", "SE", "GE", "IEA")


class _Reader:
    """Nests segments into interchanges, groups and sets as they come."""

    def __init__(self, delimiters: Delimiters) -> None:
        self.delimiters = delimiters
        self.interchanges: list[Interchange] = []
        self.group: Group | None = None
        self.tset: TransactionSet | None = None

    @property
    def open_interchange(self) -> Interchange | None:
        last = self.interchanges[-1] if self.interchanges else None
        return last if last is not None and last.iea is None else None

    def add(self, values: list[str]) -> None:
        tag, elements = values[0], values[1:]
        if tag not in _ENVELOPE:
            if self.tset is None:
                raise X12ReadError(f"segment {tag} stands outside a transaction set")
            self.tset.body.append(Segment(tag, elements, len(self.tset.body) + 2))
            return
        getattr(self, f"_{tag.lower()}")(Segment(tag, elements, 0))

    def _isa(self, segment: Segment) -> None:
        if self.open_interchange is not None:
            raise X12ReadError(f"interchange {self.open_interchange.control} has no IEA")
        self.interchanges.append(Interchange(segment, self.delimiters))

    def _gs(self, segment: Segment) -> None:
        if self.open_interchange is None or self.group is not None:
            raise X12ReadError("a GS outside an interchange, or inside another group")
        self.group = Group(segment)
        self.open_interchange.groups.append(self.group)

    def _st(self, segment: Segment) -> None:
        if self.group is None or self.tset is not None:
            raise X12ReadError("an ST outside a group, or inside another set")
        segment.position = 1
        self.tset = TransactionSet(segment)
        self.group.sets.append(self.tset)

    def _se(self, segment: Segment) -> None:
        if self.tset is None:
            raise X12ReadError("an SE that closes no set")
        segment.position = len(self.tset.body) + 2
        self.tset.se, self.tset = segment, None

    def _ge(self, segment: Segment) -> None:
        if self.group is None or self.tset is not None:
            raise X12ReadError("a GE that closes no group, or inside a set")
        self.group.ge, self.group = segment, None

    def _iea(self, segment: Segment) -> None:
        if self.open_interchange is None or self.group is not None:
            raise X12ReadError("an IEA that closes no interchange, or inside a group")
        self.open_interchange.iea = segment


def read(data: bytes) -> list[Interchange]:
    """Every interchange in the bytes (all with the first ISA's delimiters); X12ReadError
    when they are not X12 or their envelopes do not nest."""
    text = data.decode("latin-1").lstrip("\ufeff\r\n\t ")
    delimiters = delimiters_of(text)
    reader = _Reader(delimiters)
    for values in _segments(text, delimiters):
        reader.add(values)
    if not reader.interchanges or reader.interchanges[-1].iea is None:
        raise X12ReadError("the file ends inside an interchange")
    return reader.interchanges


# AK5-02 codes for a set whose trailer is wrong.
SET_CONTROL_MISMATCH = "3"
SET_COUNT_WRONG = "4"


def set_error(tset: TransactionSet) -> str | None:
    """The AK5-02 code of what the set's SE gets wrong, or None when it is right."""
    se = tset.se
    if se is None:
        return "2"
    if se.element(2) != tset.control:
        return SET_CONTROL_MISMATCH
    if se.element(1) != str(len(tset.body) + 2):
        return SET_COUNT_WRONG
    return None


def envelope_errors(interchange_: Interchange) -> list[str]:
    """What the trailers get wrong: each SE01 and SE02, GE01 and GE02, IEA01 and IEA02."""
    found = []
    for group in interchange_.groups:
        found += [
            f"group {group.control} set {t.control}: AK5 code {code}"
            for t in group.sets
            if (code := set_error(t)) is not None
        ]
        ge = group.ge
        if ge is None or (ge.element(1), ge.element(2)) != (str(len(group.sets)), group.control):
            found.append(f"group {group.control}: GE {ge.elements if ge else 'missing'}")
    iea = interchange_.iea
    expected = (str(len(interchange_.groups)), interchange_.control)
    if iea is None or (iea.element(1), iea.element(2)) != expected:
        found.append(f"interchange {interchange_.control}: IEA {iea.elements if iea else '-'}")
    return found
