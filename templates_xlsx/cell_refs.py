"""Cell references in worksheet XML, read the way python-calamine places cells.

`scan_cells` finds every cell start tag in a piece of sheet XML with a handful of numpy
passes over the bytes (no per-cell Python work: a 100,000-row sheet holds a million cells)
and reads each reference's column and row. A cell counts as regular when its tag is
`<c` + one XML space + `r="` + 1 to 3 capitals + a row of 1 to 7 digits without a leading
zero + `"`, which is what Excel and every library we have seen write; anything else is left
to the caller's exact XML pass. `parse_ref` reads any reference as calamine does (letters of
either case, any length, then digits), so the exact pass cannot be fooled by `xfd1048576`
or `A01048576`, which calamine reads as far cells.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

# After `<c`, a byte that cannot continue an element name: the tag is a cell (`<col`,
# `<cfRule`, `<c.x` or a non-ASCII name are other elements and are skipped).
_ENDS_NAME = np.ones(256, dtype=bool)
_ENDS_NAME[list(b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._:-")] = False
_ENDS_NAME[0x80:] = False
_XML_SPACE = np.zeros(256, dtype=bool)
_XML_SPACE[list(b" \t\r\n")] = True
# A regular reference is at most 3 letters, 7 digits and the closing quote: 11 bytes.
_WIDTH = 11
_PAD = b" " * (6 + _WIDTH)
_ANY_REF = re.compile(r"([A-Za-z]+)([0-9]+)")


@dataclass
class Cells:
    """The cells of one piece: where each `<c` starts, whether it is regular, and for the
    regular ones how many letters and digits their reference has, with its bytes (`refs`
    from the first letter, `tail` from the first digit); and whether the piece has any
    `<f` (formula) or `<!` (declaration) tag, read off the same pass. A piece with a
    prefixed cell tag is irregular as a whole."""

    starts: np.ndarray
    regular: np.ndarray
    letters: np.ndarray
    digits: np.ndarray
    refs: np.ndarray
    tail: np.ndarray
    formulas: bool
    declarations: bool
    prefixed: bool  # a `prefix:c` element, which calamine also reads as a cell

    @property
    def all_regular(self) -> bool:
        return not self.prefixed and bool(self.regular.all())

    def beyond(self, max_column: int, max_row: int) -> np.ndarray:
        """Which regular cells lie right of `max_column` or below `max_row`. A reference
        with more letters (digits) than the limit's is beyond it, one with fewer is not;
        only those with as many are read as numbers."""
        column_width = 1 if max_column <= 26 else 2 if max_column <= 702 else 3
        row_width = len(str(max_row))
        far = self.regular & ((self.letters > column_width) | (self.digits > row_width))
        edge = np.flatnonzero(self.regular & ~far & (self.letters == column_width))
        if edge.size:
            far[edge] |= _number(self.refs[edge, :column_width], 26, ord("A") - 1) > max_column
        edge = np.flatnonzero(self.regular & ~far & (self.digits == row_width))
        if edge.size:
            far[edge] |= _number(self.tail[edge, :row_width], 10, ord("0")) > max_row
        return far

    def ref(self, piece: bytes, index: int) -> str:
        """The reference text of cell `index`, for messages."""
        start = int(self.starts[index]) + 6
        return piece[start : piece.index(b'"', start)].decode("ascii", "replace")


def _number(places: np.ndarray, base: int, zero: int) -> np.ndarray:
    """Each row of equally long numerals (digits, or letters A=1..Z=26) as its value."""
    weights = base ** np.arange(places.shape[1] - 1, -1, -1, dtype=np.int64)
    return (places.astype(np.int64) - zero) @ weights


def scan_cells(piece: bytes) -> Cells:
    buf = np.frombuffer(piece, dtype=np.uint8)
    size = len(piece)
    tag = buf[:-1] == ord("<")
    after = buf[1:]
    starts = np.flatnonzero(tag & (after == ord("c")))
    formulas = bool((tag & (after == ord("f"))).any())
    declarations = bool((tag & (after == ord("!"))).any())
    reach = int(starts[-1]) + 6 + _WIDTH if starts.size else 6 + _WIDTH
    if reach > size or b":" in piece:
        buf = np.frombuffer(piece + _PAD, dtype=np.uint8)  # room to read past the end
    starts = starts[_ENDS_NAME[buf[starts + 2]]]
    tags = sliding_window_view(buf, 6 + _WIDTH)[starts]  # `<c r="` and the reference
    regular = (
        _XML_SPACE[tags[:, 2]]
        & (tags[:, 3] == ord("r"))
        & (tags[:, 4] == ord("="))
        & (tags[:, 5] == ord('"'))
    )
    prefixed = b":" in piece and _prefixed_cell(buf, size)
    refs = tags[:, 6:]
    # Letters: the first non-capital among the first four bytes (four capitals give 0,
    # which is irregular, as is a reference that does not start with a capital).
    letters = np.argmin(refs[:, :4] - np.uint8(ord("A")) < 26, axis=1)
    # The digits start right after the letters; almost every sheet has one-letter columns
    # only, so the bytes are shifted only for the cells that need it.
    tail = refs[:, 1:9]
    if not (letters == 1).all():
        tail = np.where(
            (letters == 2)[:, None],
            refs[:, 2:10],
            np.where((letters == 3)[:, None], refs[:, 3:11], tail),
        )
    # Digits: the first non-digit among eight bytes (eight digits give 0: irregular).
    digits = np.argmin(tail - np.uint8(ord("0")) < 10, axis=1)
    closing = tail[np.arange(len(starts)), digits]
    regular &= (letters >= 1) & (digits >= 1) & (tail[:, 0] != ord("0")) & (closing == ord('"'))
    return Cells(starts, regular, letters, digits, refs, tail, formulas, declarations, prefixed)


def _prefixed_cell(buf: np.ndarray, size: int) -> bool:
    """A `prefix:c` element (calamine reads local names), or text that looks like one."""
    colons = np.flatnonzero(buf[:size] == ord(":"))
    return bool((_ENDS_NAME[buf[colons + 2]] & (buf[colons + 1] == ord("c"))).any())


def parse_ref(text: str) -> tuple[int, int] | None:
    """(1-based column, row) of a reference as calamine reads it, or None if it cannot."""
    match = _ANY_REF.fullmatch(text)
    if not match:
        return None
    column = 0
    for letter in match[1].upper():
        column = column * 26 + ord(letter) - ord("A") + 1
    return column, int(match[2])
