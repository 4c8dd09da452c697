"""Reading and writing X12 interchanges, byte for byte.

The delimiters come from each ISA: the element separator is its fourth character, the
sub-element separator ISA16, the segment terminator the character after ISA16, and the
repetition separator ISA11 from version 00402 on. Files come in every layout: CR, LF or no
line breaks between segments, indented segments, a byte-order mark, several interchanges
(each with its own delimiters), EBCDIC. What lies between one segment's terminator and the
next segment (line breaks, indentation) is kept as that segment's `filler`, and the text's
encoding and mark are kept, so `write(read(data)) == data` for every file `read` accepts.

Structure problems found while reading (a GS outside an interchange, a set never closed)
are collected on the document, not raised: envelope.py judges them with the counts and
control numbers, and a 997 can say what was wrong. Only a file with no interchange at all
cannot be read.
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Iterator
from dataclasses import dataclass, field

ISA_LENGTH = 106  # the ISA's fixed length, its terminator included
FILLER = "\r\n\t "
BOM = codecs.BOM_UTF8
EBCDIC = "cp037"


class X12Error(ValueError):
    """A file that cannot be read as X12 at all: no ISA, or an ISA too short to name its
    delimiters."""


@dataclass(frozen=True)
class Delimiters:
    element: str
    sub_element: str
    segment: str
    repetition: str | None = None


class Segment:
    """One segment: its tag, its elements after the tag (as written, sub-elements and
    repeats inside them), its position in the interchange (ISA is 1) and the filler after
    its terminator.

    A segment read from a file keeps its text and splits it into elements only when they
    are asked for: most segments of a big file are only carried (written back, counted)."""

    __slots__ = ("tag", "position", "filler", "terminated", "_elements", "_raw", "_sep")

    def __init__(
        self, tag: str, elements: list[str] | None, position: int, filler: str = "",
        terminated: bool = True, raw: str | None = None, separator: str = "",
    ) -> None:  # fmt: skip
        self.tag = tag
        self.position = position
        self.filler = filler
        self.terminated = terminated  # False only for a last segment the file ends inside
        self._elements = elements
        self._raw = raw
        self._sep = separator

    @classmethod
    def read(cls, raw: str, separator: str, position: int, filler: str, terminated: bool):
        return cls(raw.partition(separator)[0], None, position, filler, terminated, raw, separator)

    @property
    def elements(self) -> list[str]:
        if self._elements is None:
            self._elements = self._raw.split(self._sep)[1:] if self._raw else []
        return self._elements

    def element(self, number: int) -> str:
        """Element `number` (1-based, as X12 counts: BEG03 is element(3)); "" when absent."""
        elements = self.elements
        return elements[number - 1] if 0 < number <= len(elements) else ""

    def render(self, delimiters: Delimiters) -> str:
        if self._raw is not None and self._sep == delimiters.element:
            return self._raw  # as it was read: written back byte for byte
        return delimiters.element.join([self.tag, *self.elements])

    def __repr__(self) -> str:
        return f"Segment({self.tag!r}, {self.elements!r}, position={self.position})"


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

    def segments(self) -> list[Segment]:
        return [self.st, *self.body, *([self.se] if self.se else [])]


@dataclass
class Group:
    gs: Segment
    sets: list[TransactionSet] = field(default_factory=list)
    ge: Segment | None = None

    @property
    def control(self) -> str:
        return self.gs.element(6)

    @property
    def functional_id(self) -> str:
        return self.gs.element(1)

    @property
    def version(self) -> str:
        return self.gs.element(8)


@dataclass
class Interchange:
    isa: Segment
    delimiters: Delimiters
    groups: list[Group] = field(default_factory=list)
    iea: Segment | None = None
    isa_text: str = ""  # the ISA as written, to judge its fixed length
    stray: list[Segment] = field(default_factory=list)  # segments outside any group or set

    @property
    def control(self) -> str:
        return self.isa.element(13)

    @property
    def sender(self) -> tuple[str, str]:
        return self.isa.element(5), self.isa.element(6).strip()

    @property
    def receiver(self) -> tuple[str, str]:
        return self.isa.element(7), self.isa.element(8).strip()

    def segments(self) -> Iterator[Segment]:
        """Every segment in the order it was written."""
        return iter(sorted(self._all(), key=lambda s: s.position))

    def _all(self) -> Iterator[Segment]:
        yield self.isa
        yield from self.stray
        for group in self.groups:
            yield group.gs
            for tset in group.sets:
                yield from tset.segments()
            if group.ge:
                yield group.ge
        if self.iea:
            yield self.iea


@dataclass
class Document:
    """A file's interchanges, with what is needed to write it back as it came."""

    interchanges: list[Interchange]
    encoding: str = "utf-8"
    bom: bytes = b""
    prefix: str = ""  # text before the first ISA (whitespace, usually)
    problems: list[str] = field(default_factory=list)


def _decode(data: bytes) -> tuple[str, str, bytes]:
    bom = BOM if data.startswith(BOM) else b""
    body = data[len(bom) :]
    if body.lstrip()[:3] == "ISA".encode(EBCDIC):
        return body.decode(EBCDIC), EBCDIC, bom
    try:
        return body.decode("utf-8"), "utf-8", bom
    except UnicodeDecodeError:
        return body.decode("latin-1"), "latin-1", bom


def delimiters_at(text: str, start: int) -> tuple[Delimiters, int]:
    """The delimiters an ISA starting at `start` declares, and where its text ends (after the
    terminator). An ISA of the wrong length is read by its separators, not its offsets."""
    if len(text) < start + 4:
        raise X12Error("the file ends inside its first ISA segment")
    element = text[start + 3]
    at = start
    for _ in range(16):
        at = text.find(element, at + 1)
        if at < 0:
            raise X12Error(
                f"the ISA at character {start + 1} has fewer than 16 elements separated by "
                f"{element!r}"
            )
    sub_element = text[at + 1 : at + 2]
    segment = text[at + 2 : at + 3]
    if not sub_element or not segment:
        raise X12Error(f"the ISA at character {start + 1} ends before its segment terminator")
    fields = text[start:at].split(element)
    version, repetition = fields[12] if len(fields) > 12 else "", fields[11][:1]
    repeats = repetition if version >= "00402" and repetition and not repetition.isalnum() else None
    return Delimiters(element, sub_element, segment, repeats), at + 3


def _filler(delimiters: Delimiters) -> str:
    """The characters that may stand between segments: line breaks and indentation, never
    the element separator. A terminator that is itself white space (a few translators use a
    space) repeats into the indentation; an empty segment means nothing, so it is filler."""
    kept = {delimiters.element} | ({delimiters.segment} - set(FILLER))
    return "".join(char for char in FILLER if char not in kept)


def _merge_empty(pieces: list, term: str) -> list:
    """Empty segments (a white-space terminator written twice) folded into the filler of the
    segment before them, as a reader skips them."""
    merged = pieces[:1]
    for raw, gap, terminated in pieces[1:]:
        if raw:
            merged.append((raw, gap, terminated))
        else:
            last_raw, last_gap, last_terminated = merged[-1]
            merged[-1] = (last_raw, last_gap + term + gap, last_terminated)
    return merged


def _interchange(text: str, at: int, position: int) -> tuple[Delimiters, str, list, int]:
    """The segments from the ISA at `at` up to the next ISA (or the end): its delimiters,
    the ISA as written, each segment as (text, filler, terminated), and where the next ISA
    starts. The ISA is read by its own rules (delimiters_at); the rest is split on its
    terminator in one go, the filler stripped from the front of each piece."""
    delimiters, isa_end = delimiters_at(text, at)
    filler = _filler(delimiters)
    stop = isa_end
    while stop < len(text) and text[stop] in filler:
        stop += 1
    pieces = [(text[at : isa_end - len(delimiters.segment)], text[isa_end:stop], True)]
    term = delimiters.segment
    nxt = re.compile(f"{re.escape(term)}[{re.escape(filler)}]*(?=ISA)" if filler
                     else f"{re.escape(term)}(?=ISA)")  # fmt: skip
    found = nxt.search(text, stop)
    end = found.end() if found else len(text)
    parts = text[stop:end].split(term)
    stripped = [part.lstrip(filler) for part in parts] if filler else parts
    gaps = [part[: len(part) - len(bare)] for part, bare in zip(parts, stripped, strict=True)]
    pieces += [(raw, gap, True) for raw, gap in zip(stripped[:-1], gaps[1:], strict=True)]
    if term in filler:  # a white-space terminator repeats into the indentation: filler too
        pieces = _merge_empty(pieces, term)
    if stripped[-1]:  # the file ends inside its last segment
        pieces.append((stripped[-1], "", False))
    return delimiters, text[at:isa_end], pieces, end


class _Builder:
    """Puts segments into interchanges, groups and sets as they come, noting what is out of
    place."""

    def __init__(self) -> None:
        self.interchanges: list[Interchange] = []
        self.problems: list[str] = []
        self.group: Group | None = None
        self.tset: TransactionSet | None = None

    @property
    def current(self) -> Interchange | None:
        last = self.interchanges[-1] if self.interchanges else None
        return last if last is not None and last.iea is None else None

    def add(self, segment: Segment, delimiters: Delimiters, isa_text: str) -> None:
        tag = segment.tag.strip()
        handler = getattr(self, f"_{tag.lower()}", None) if tag in _ENVELOPE else None
        if handler is not None:
            handler(segment, delimiters, isa_text)
        elif self.tset is not None:
            self.tset.body.append(segment)
        elif tag == "TA1" and self.group is None and self.current is not None:
            self.current.stray.append(segment)  # an interchange acknowledgment: its place
        else:
            self._stray(segment, f"segment {segment.position} ({tag or 'empty'}) is outside a set")

    def _stray(self, segment: Segment, problem: str) -> None:
        self.problems.append(problem)
        if self.current is not None:
            self.current.stray.append(segment)
        elif self.interchanges:
            self.interchanges[-1].stray.append(segment)

    def _isa(self, segment: Segment, delimiters: Delimiters, isa_text: str) -> None:
        if self.current is not None:
            self.problems.append(f"interchange {self.current.control} has no IEA")
        self.group = self.tset = None
        self.interchanges.append(Interchange(segment, delimiters, isa_text=isa_text))

    def _gs(self, segment: Segment, *_: object) -> None:
        if self.current is None:
            return self._stray(segment, f"GS at segment {segment.position} is outside an ISA")
        self.group, self.tset = Group(segment), None
        self.current.groups.append(self.group)

    def _st(self, segment: Segment, *_: object) -> None:
        if self.group is None:
            return self._stray(segment, f"ST at segment {segment.position} is outside a GS")
        self.tset = TransactionSet(segment)
        self.group.sets.append(self.tset)

    def _se(self, segment: Segment, *_: object) -> None:
        if self.tset is None:
            return self._stray(segment, f"SE at segment {segment.position} closes no set")
        self.tset.se, self.tset = segment, None

    def _ge(self, segment: Segment, *_: object) -> None:
        if self.group is None:
            return self._stray(segment, f"GE at segment {segment.position} closes no group")
        self.group.ge, self.group, self.tset = segment, None, None

    def _iea(self, segment: Segment, *_: object) -> None:
        if self.current is None:
            return self._stray(segment, f"IEA at segment {segment.position} closes nothing")
        self.current.iea, self.group, self.tset = segment, None, None


_ENVELOPE = frozenset({"ISA", "GS", "ST", "SE", "GE", "IEA"})


def read(data: bytes) -> Document:
    """The file's interchanges; X12Error when it holds none."""
    text, encoding, bom = _decode(data)
    start = text.find("ISA")
    if start < 0 or text[:start].strip():
        where = "no ISA segment" if start < 0 else f"text before the ISA: {text[:start][:40]!r}"
        raise X12Error(f"not an X12 interchange: {where}")
    builder, at, position = _Builder(), start, 0
    while at < len(text):
        delimiters, isa_text, pieces, at = _interchange(text, at, position)
        element = delimiters.element
        for raw, gap, terminated in pieces:
            position += 1
            segment = Segment.read(raw, element, position, gap, terminated)
            if segment.tag not in _ENVELOPE and builder.tset is not None:
                builder.tset.body.append(segment)  # most segments: straight into their set
            else:
                builder.add(segment, delimiters, isa_text)
    if builder.current is not None:
        builder.problems.append(f"interchange {builder.current.control} has no IEA")
    return Document(builder.interchanges, encoding, bom, text[:start], builder.problems)


def render(document: Document) -> str:
    parts = [document.prefix]
    for interchange in document.interchanges:
        delimiters = interchange.delimiters
        for segment in interchange.segments():
            parts.append(segment.render(delimiters))
            if segment.terminated:
                parts.append(delimiters.segment)
            parts.append(segment.filler)
    return "".join(parts)


def write(document: Document) -> bytes:
    """The document as bytes, in the encoding and with the mark it was read with."""
    return document.bom + render(document).encode(document.encoding)
