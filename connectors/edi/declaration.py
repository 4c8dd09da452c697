"""Transaction-set declarations as data, and checking a set against its declaration.

A set module declares its layout as indented text (one segment or LOOP per line: tag,
M or O, maximum use; a loop's members indented under it) and each segment's elements as a
line of `number requirement type min-max [codes]`, so supporting a set is one module of
text plus one registry line. The check walks the set's segments through the layout and
reports what a 997 says: the segment's tag and position (AK3) with the syntax error code,
and each bad element (AK4) with its position, reference number and code.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime

from connectors.edi.x12 import Segment, TransactionSet

# AK304: segment syntax error codes
UNRECOGNIZED = "1"
MANDATORY_MISSING = "3"
LOOP_TOO_MANY = "4"
SEGMENT_TOO_MANY = "5"
NOT_IN_SET = "6"
OUT_OF_SEQUENCE = "7"
ELEMENT_ERRORS = "8"
# AK403: element syntax error codes
ELEMENT_MISSING = "1"
TOO_MANY_ELEMENTS = "3"
TOO_SHORT = "4"
TOO_LONG = "5"
INVALID_CHARACTER = "6"
INVALID_CODE = "7"
INVALID_DATE = "8"
INVALID_TIME = "9"
_NUMBER = re.compile(r"-?\d+")
_DECIMAL = re.compile(r"-?(\d+\.?\d*|\.\d+)")
_TAG = re.compile(r"[A-Z0-9]{2,3}")


@dataclass(frozen=True)
class Element:
    number: int
    required: bool
    kind: str  # AN, ID, DT, TM, N0..N9, R; C for a composite (not checked inside)
    min_length: int
    max_length: int
    codes: frozenset[str] | None = None


@dataclass(frozen=True)
class SegmentRule:
    tag: str
    required: bool
    max_use: int | None  # None: no limit (">1")

    @property
    def header(self) -> str:
        return self.tag


@dataclass(frozen=True)
class Loop:
    required: bool
    max_use: int | None
    members: tuple[SegmentRule | Loop, ...]

    @property
    def header(self) -> str:
        return self.members[0].header


@dataclass(frozen=True)
class SetDeclaration:
    set_id: str
    title: str
    layout: tuple[SegmentRule | Loop, ...]
    elements: dict[str, tuple[Element, ...]]

    def tags(self) -> set[str]:
        found: set[str] = set()
        stack = list(self.layout)
        while stack:
            member = stack.pop()
            if isinstance(member, Loop):
                stack.extend(member.members)
            else:
                found.add(member.tag)
        return found


def _use(text: str) -> int | None:
    return None if text == ">1" else int(text)


def layout(text: str) -> tuple[SegmentRule | Loop, ...]:
    """The indented layout text as rules: `TAG M|O USE` or `LOOP M|O USE` with members
    indented two spaces more under it."""
    lines = [
        line for line in text.splitlines() if line.strip() and not line.strip().startswith("#")
    ]
    members, _ = _members(lines, 0, 0)
    return members


def _members(lines: list[str], at: int, indent: int) -> tuple[tuple, int]:
    found: list[SegmentRule | Loop] = []
    while at < len(lines):
        depth = len(lines[at]) - len(lines[at].lstrip())
        if depth < indent:
            break
        word, need, use = lines[at].split()
        if word == "LOOP":
            inner, at = _members(lines, at + 1, depth + 2)
            found.append(Loop(need == "M", _use(use), inner))
            continue
        found.append(SegmentRule(word, need == "M", _use(use)))
        at += 1
    return tuple(found), at


def elements(text: str) -> dict[str, tuple[Element, ...]]:
    """`TAG: 01 M ID 2-2 00|01, 02 O AN 1-30, 03-09 O AN 1-80` lines (one per segment,
    indented lines going on with it) as each segment's elements; a number range declares
    several alike."""
    table: dict[str, tuple[Element, ...]] = {}
    joined: list[str] = []
    for line in text.strip().splitlines():  # an indented line goes on with the one above
        if line.startswith(" ") and joined:
            joined[-1] += " " + line.strip()
        else:
            joined.append(line)
    for line in joined:
        tag, rest = line.split(":", 1)
        declared = []
        for part in rest.split(","):
            numbers, need, kind, lengths, *codes = part.split()
            first, _, last = numbers.partition("-")
            low, high = (int(n) for n in lengths.split("-"))
            allowed = frozenset(codes[0].split("|")) if codes else None
            for number in range(int(first), int(last or first) + 1):
                declared.append(Element(number, need == "M", kind, low, high, allowed))
        table[tag.strip()] = tuple(declared)
    return table


@dataclass
class ElementError:
    position: int  # AK401: the element's position in the segment
    code: str  # AK403
    value: str = ""  # AK404: a copy of the bad value

    def __str__(self) -> str:
        return f"{self.position:02d} {_ELEMENT_TEXT[self.code]}" + (
            f" ({self.value!r})" if self.value else ""
        )


@dataclass
class SegmentError:
    tag: str  # AK301
    position: int  # AK302: position in the set, ST being 1
    code: str  # AK304
    elements: list[ElementError] = field(default_factory=list)

    def __str__(self) -> str:
        text = f"segment {self.position} {self.tag}: {_SEGMENT_TEXT[self.code]}"
        return "; ".join([text, *(f"{self.tag}{e}" for e in self.elements)])


_SEGMENT_TEXT = {
    UNRECOGNIZED: "is not a segment",
    MANDATORY_MISSING: "mandatory segment missing here",
    LOOP_TOO_MANY: "its loop occurs more often than allowed",
    SEGMENT_TOO_MANY: "occurs more often than allowed",
    NOT_IN_SET: "is not in this transaction set",
    OUT_OF_SEQUENCE: "is out of sequence",
    ELEMENT_ERRORS: "has element errors",
}
_ELEMENT_TEXT = {
    ELEMENT_MISSING: "is mandatory and missing",
    TOO_MANY_ELEMENTS: "is one too many: the segment has fewer elements",
    TOO_SHORT: "is too short",
    TOO_LONG: "is too long",
    INVALID_CHARACTER: "has an invalid character",
    INVALID_CODE: "is not a valid code",
    INVALID_DATE: "is not a valid date",
    INVALID_TIME: "is not a valid time",
}


def _valid_date(value: str) -> bool:
    for form in ("%Y%m%d", "%y%m%d"):
        try:
            datetime.strptime(value, form)
            return len(value) in (6, 8)
        except ValueError:
            continue
    return False


def _valid_time(value: str) -> bool:
    if not value.isdigit() or len(value) < 4:
        return False
    hours, minutes = int(value[:2]), int(value[2:4])
    seconds = int(value[4:6]) if len(value) >= 6 else 0
    return hours < 24 and minutes < 60 and seconds < 60


def check_element(element: Element, value: str) -> str | None:
    """The AK403 code for this value, or None when it is good (an empty optional one is)."""
    if value == "":
        return ELEMENT_MISSING if element.required else None
    if element.kind == "C":
        return None
    if element.kind.startswith("N") or element.kind == "R":
        pattern = _NUMBER if element.kind.startswith("N") else _DECIMAL
        if not pattern.fullmatch(value):
            return INVALID_CHARACTER
        length = sum(char.isdigit() for char in value)
    else:
        length = len(value)
    if length < element.min_length:
        return TOO_SHORT
    if length > element.max_length:
        return TOO_LONG
    if element.kind == "DT" and not _valid_date(value):
        return INVALID_DATE
    if element.kind == "TM" and not _valid_time(value):
        return INVALID_TIME
    if element.codes is not None and value not in element.codes:
        return INVALID_CODE
    return None


def check_segment(declared: tuple[Element, ...], segment: Segment) -> list[ElementError]:
    found = []
    for element in declared:
        value = segment.element(element.number)
        code = check_element(element, value)
        if code is not None:
            found.append(ElementError(element.number, code, value))
    if len(segment.elements) > len(declared):
        found.append(ElementError(len(declared) + 1, TOO_MANY_ELEMENTS))
    return found


class _Walk:
    """Places each segment of a set's body in the declared layout, noting what breaks it."""

    def __init__(self, declaration: SetDeclaration, segments: list[Segment]) -> None:
        self.declaration = declaration
        self.known = declaration.tags()
        self.segments = segments
        self.errors: list[SegmentError] = []
        self.at = 0

    def position(self, index: int) -> int:
        return index + 2  # ST is 1

    def run(self) -> list[SegmentError]:
        self.members(self.declaration.layout, top=True)
        return self.errors

    def _flag(self, index: int, code: str, tag: str | None = None) -> None:
        """A segment error at `index` (a missing one: where it should have been)."""
        name = tag or self.segments[index].tag
        self.errors.append(SegmentError(name, self.position(index), code))

    def _unplaced(self, tag: str, top: bool) -> bool:
        """A segment this level cannot place: flagged and skipped when no level could (an
        unknown tag anywhere, anything at the top); False to hand it to the level above."""
        if tag in self.known and not top:
            return False
        known = _TAG.fullmatch(tag)
        code = OUT_OF_SEQUENCE if tag in self.known else NOT_IN_SET if known else UNRECOGNIZED
        self._flag(self.at, code)
        self.at += 1
        return True

    def members(self, members: tuple[SegmentRule | Loop, ...], top: bool = False) -> None:
        """Place segments in these members, in order; a loop's own header seen again ends
        this pass of the loop (the level above counts the next one)."""
        counts = [0] * len(members)
        j = 0
        while self.at < len(self.segments):
            tag = self.segments[self.at].tag
            k = next((k for k in range(j, len(members)) if members[k].header == tag), None)
            if k == 0 and counts[0] and not top:
                break
            if k is None:
                if self._unplaced(tag, top):
                    continue
                break
            self._missing(members[j:k], counts[j:k])
            j = k
            counts[k] += 1
            member = members[k]
            if member.max_use is not None and counts[k] > member.max_use:
                code = LOOP_TOO_MANY if isinstance(member, Loop) else SEGMENT_TOO_MANY
                self._flag(self.at, code)
            if isinstance(member, Loop):
                self.members(member.members)
            else:
                self._elements(member)
                self.at += 1
        self._missing(members[j:], counts[j:])

    def _missing(self, members, counts) -> None:
        for member, count in zip(members, counts, strict=True):
            if member.required and count == 0:
                self._flag(self.at, MANDATORY_MISSING, member.header)

    def _elements(self, rule: SegmentRule) -> None:
        declared = self.declaration.elements.get(rule.tag)
        if declared is None:
            return  # placed by the layout; its elements are not declared here
        bad = check_segment(declared, self.segments[self.at])
        if bad:
            self.errors.append(SegmentError(rule.tag, self.position(self.at), ELEMENT_ERRORS, bad))


def check_set(declaration: SetDeclaration, tset: TransactionSet) -> list[SegmentError]:
    """Every segment and element error of the set's body against its declaration."""
    return _Walk(declaration, tset.body).run()
