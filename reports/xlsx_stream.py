"""A streaming .xlsx writer for big report sheets: rows go into the zip block by block as they
are made, each block rendered column by column with numpy, so a million rows never become a
million Python objects per cell (openpyxl's write-only mode builds a cell object for every
value and wrote 100,000 reconciliation lines in minutes).

It writes only what reports need: inline strings, numbers, number formats, bold, column
widths and a frozen heading row. Text goes through `core.formula_safety.write_text`, once per
distinct value, and is written as that cell says (a string, format @, quote prefix on
formula-looking text), so the rule lives in one place.
"""

from __future__ import annotations

import re
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape, quoteattr

import numpy as np
import pandas as pd
from openpyxl.utils import get_column_letter

from core.formula_safety import write_text

MAX_ROWS = 1_048_576  # an Excel sheet's rows
TEXT = np.dtypes.StringDType()
# Characters XML 1.0 cannot carry at all, not even escaped; a carriage return it would turn
# into a line feed unless escaped.
_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
# Excel reads _xHHHH_ in text as the character HHHH; a literal one gets its "_" escaped.
_ESCAPE_LIKE = re.compile("_(x[0-9A-Fa-f]{4}_)")
_BUILTIN_FORMATS = {"General": 0, "0": 1, "0.00": 2, "#,##0": 3, "#,##0.00": 4, "@": 49}
_NS = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_SHEET_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"


@dataclass(frozen=True)
class Style:
    bold: bool = False
    size: int = 11
    number_format: str = "General"
    quote_prefix: bool = False


class _Probe:
    """Stands in for an openpyxl cell, so `write_text` decides how a text is written."""

    value: Any = None
    data_type = "n"
    number_format = "General"
    quotePrefix = False  # noqa: N815 - openpyxl's name


def xml_text(text: str) -> str:
    """Text escaped for an element's content, a carriage return kept as one."""
    text = _ESCAPE_LIKE.sub(r"_x005F_\1", _ILLEGAL.sub("\ufffd", text))
    return escape(text).replace("\r", "&#13;")


@dataclass
class Styles:
    """The workbook's cell formats (cellXfs), numbered as they are first asked for."""

    xfs: dict[Style, int] = field(default_factory=lambda: {Style(): 0})
    _known: dict[tuple[Any, ...], int] = field(default_factory=dict)

    def xf(self, style: Style) -> int:
        return self.xfs.setdefault(style, len(self.xfs))

    def text(self, value: Any, bold: bool = False, size: int = 11) -> tuple[str, int]:
        """A value from outside as the text to write and its format, as `write_text` says."""
        probe = _Probe()
        write_text(probe, value)
        key = (bold, size, probe.number_format, bool(probe.quotePrefix))
        xf = self._known.get(key)
        if xf is None:
            xf = self._known[key] = self.xf(Style(*key))
        return str(probe.value), xf

    def xml(self) -> str:
        codes = sorted({s.number_format for s in self.xfs} - set(_BUILTIN_FORMATS))
        ids = {**_BUILTIN_FORMATS, **{code: 164 + n for n, code in enumerate(codes)}}
        formats = "".join(f'<numFmt numFmtId="{ids[c]}" formatCode={quoteattr(c)}/>' for c in codes)
        # Font 0 is the Normal style's: the default one, whatever else is used.
        fonts = [(False, 11), *sorted({(s.bold, s.size) for s in self.xfs} - {(False, 11)})]
        font_id = {font: n for n, font in enumerate(fonts)}
        font_xml = "".join(
            f'<font>{"<b/>" if bold else ""}<sz val="{size}"/><name val="Calibri"/></font>'
            for bold, size in fonts
        )
        xfs = []
        for style in sorted(self.xfs, key=self.xfs.__getitem__):
            quote = ' quotePrefix="1"' if style.quote_prefix else ""
            xfs.append(
                f'<xf numFmtId="{ids[style.number_format]}" '
                f'fontId="{font_id[(style.bold, style.size)]}" fillId="0" borderId="0" '
                f'xfId="0" applyNumberFormat="1" applyFont="1"{quote}/>'
            )
        return (
            f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><styleSheet {_NS}>'
            + (f'<numFmts count="{len(codes)}">{formats}</numFmts>' if codes else "")
            + f'<fonts count="{len(fonts)}">{font_xml}</fonts>'
            '<fills count="2"><fill><patternFill patternType="none"/></fill>'
            '<fill><patternFill patternType="gray125"/></fill></fills>'
            '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border>'
            "</borders>"
            '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/>'
            f'</cellStyleXfs><cellXfs count="{len(xfs)}">{"".join(xfs)}</cellXfs>'
            '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/>'
            "</cellStyles></styleSheet>"
        )


def _number(value: Any) -> str:
    if isinstance(value, Decimal):
        return format(value, "f")
    return repr(value) if isinstance(value, float) else str(int(value))


class Sheet:
    """One worksheet being written: rows only go forward, each row once."""

    def __init__(self, stream: Any, styles: Styles) -> None:
        self._stream = stream
        self.styles = styles
        self.rows = 0

    def row(
        self,
        values: Sequence[Any],
        formats: Sequence[str | None] = (),
        bold: bool | Sequence[bool] = False,
        size: int = 11,
    ) -> None:
        """One row of a few cells: str is text (as `write_text` says), a number is a number
        in its column's format (General if none), None is an empty cell; `bold` for the row
        or per cell."""
        self.rows += 1
        cells = []
        for col, value in enumerate(values, start=1):
            ref = f"{get_column_letter(col)}{self.rows}"
            if value is None:
                continue
            strong = bold if isinstance(bold, bool) else bold[col - 1]
            if isinstance(value, str):
                text, xf = self.styles.text(value, strong, size)
                cells.append(f'<c r="{ref}"{_inline(xf, text)}')
            else:
                code = (formats[col - 1] if col <= len(formats) else None) or "General"
                xf = self.styles.xf(Style(strong, size, code))
                cells.append(f'<c r="{ref}" s="{xf}"><v>{_number(value)}</v></c>')
        self._write(f'<row r="{self.rows}">{"".join(cells)}</row>')

    def skip(self, rows: int = 1) -> None:
        self.rows += rows

    def numbers(self, count: int) -> np.ndarray:
        """Row numbers, as text, of the next `count` rows (for `text_cells`/`number_cells`)."""
        return np.arange(self.rows + 1, self.rows + 1 + count, dtype=np.int64).astype(TEXT)

    def block(self, numbers: np.ndarray, columns: Sequence[np.ndarray]) -> None:
        """The rows numbered `numbers`, their cells rendered beforehand by `text_cells` and
        `number_cells` (one array per column), written under the rows so far."""
        rows = concat(['<row r="', numbers, '">', *columns, "</row>"])
        self.rows += len(rows)
        self._write("".join(rows.tolist()))

    def _write(self, text: str) -> None:
        self._stream.write(text.encode("utf-8"))


def _inline(xf: int, text: str) -> str:
    """An inline string cell after its reference."""
    space = ' xml:space="preserve"' if text != text.strip() else ""
    return f' s="{xf}" t="inlineStr"><is><t{space}>{xml_text(text)}</t></is></c>'


def concat(parts: Sequence[np.ndarray | str]) -> np.ndarray:
    """Text arrays (and constants) joined element by element. Pairwise, as a tree: adding
    one column after another would copy the growing rows once per column."""
    merged: list[np.ndarray | str] = []
    for part in parts:
        if isinstance(part, str) and merged and isinstance(merged[-1], str):
            merged[-1] += part
        else:
            merged.append(part)
    while len(merged) > 1:
        pairs = zip(merged[::2], merged[1::2], strict=False)
        joined = [np.strings.add(a, b) for a, b in pairs]
        merged = joined + merged[len(merged) - len(merged) % 2 :]
    return merged[0]


def _heads(column: int, numbers: np.ndarray) -> list[np.ndarray | str]:
    return [f'<c r="{get_column_letter(column)}', numbers, '"']


def text_cells(values: np.ndarray, column: int, numbers: np.ndarray, styles: Styles) -> np.ndarray:
    """A text column's cells for a block of rows: every distinct value goes through
    `write_text` once; None leaves the cell out."""
    codes, distinct = pd.factorize(values, use_na_sentinel=True)
    tails = [_inline(xf, text) for text, xf in map(styles.text, distinct)]
    cells = concat([*_heads(column, numbers), np.array([*tails, ""], dtype=TEXT)[codes]])
    cells[codes < 0] = ""
    return cells


def number_cells(
    values: np.ndarray, missing: np.ndarray, digits: int, column: int, numbers: np.ndarray, xf: int
) -> np.ndarray:
    """A column of integers holding `digits` decimal places (cents: 2) as exact decimal
    numbers, formatted by `xf`; missing values leave the cell out."""
    values = np.asarray(values, dtype=np.int64)
    magnitude = np.abs(values)
    if digits:
        whole, part = np.divmod(magnitude, 10**digits)
        part = np.strings.zfill(part.astype(TEXT), digits)
        text = concat([whole.astype(TEXT), ".", part])
    else:
        text = magnitude.astype(TEXT)
    negative = values < 0
    if negative.any():
        text[negative] = np.strings.add("-", text[negative])
    cells = concat([*_heads(column, numbers), f' s="{xf}"><v>', text, "</v></c>"])
    cells[missing] = ""
    return cells


@dataclass
class _Entry:
    title: str
    widths: dict[int, float]
    freeze: bool


class Book:
    """An .xlsx being written to `path`: its sheets named up front (the package's index goes
    first in the zip, where file-type sniffers look), then written in that order."""

    def __init__(self, path: str | Path, titles: Sequence[str], compresslevel: int = 1) -> None:
        self.path = Path(path)
        # Deflate level 1: the sheets are large and repetitive, level 6 costs several times
        # the time for a few percent of size.
        self._zip = zipfile.ZipFile(
            self.path, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=compresslevel
        )
        self._titles = list(titles)
        self._opened = 0
        self.styles = Styles()
        self._part("[Content_Types].xml", _content_types(len(self._titles)))
        self._part("_rels/.rels", _ROOT_RELS)
        self._part("xl/workbook.xml", _workbook(self._titles))
        self._part("xl/_rels/workbook.xml.rels", _workbook_rels(len(self._titles)))

    def sheet(
        self, title: str, widths: dict[int, float] | None = None, freeze_header: bool = False
    ) -> _SheetContext:
        if self._opened >= len(self._titles) or self._titles[self._opened] != title:
            raise ValueError(f"sheet {title!r} is not the next of {self._titles}")
        self._opened += 1
        entry = _Entry(title, widths or {}, freeze_header)
        return _SheetContext(self, entry, f"xl/worksheets/sheet{self._opened}.xml")

    def close(self) -> None:
        if self._opened != len(self._titles):
            raise ValueError(f"{len(self._titles) - self._opened} sheet(s) never written")
        self._part("xl/styles.xml", self.styles.xml())
        self._zip.close()

    def abort(self) -> None:
        self._zip.close()
        self.path.unlink(missing_ok=True)

    def _part(self, name: str, text: str) -> None:
        self._zip.writestr(name, text.encode("utf-8"))

    def __enter__(self) -> Book:
        return self

    def __exit__(self, kind: Any, *_: Any) -> None:
        if kind is None:
            self.close()
        else:
            self.abort()


class _SheetContext:
    def __init__(self, book: Book, entry: _Entry, name: str) -> None:
        self._book, self._entry, self._name = book, entry, name

    def __enter__(self) -> Sheet:
        self._stream = self._book._zip.open(self._name, "w")
        self._stream.write(_sheet_head(self._entry).encode("utf-8"))
        return Sheet(self._stream, self._book.styles)

    def __exit__(self, *_: Any) -> None:
        self._stream.write(b"</sheetData></worksheet>")
        self._stream.close()


def _sheet_head(entry: _Entry) -> str:
    pane = (
        '<pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" state="frozen"/>'
        '<selection pane="bottomLeft" activeCell="A2" sqref="A2"/>'
        if entry.freeze
        else ""
    )
    cols = "".join(
        f'<col min="{col}" max="{col}" width="{width}" customWidth="1"/>'
        for col, width in sorted(entry.widths.items())
    )
    return (
        f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><worksheet {_NS} '
        f'xmlns:r="{_REL}"><sheetViews><sheetView workbookViewId="0">{pane}</sheetView>'
        f"</sheetViews>{f'<cols>{cols}</cols>' if cols else ''}<sheetData>"
    )


_ROOT_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    f'<Relationship Id="rId1" Type="{_REL}/officeDocument" Target="xl/workbook.xml"/>'
    "</Relationships>"
)


def _content_types(sheets: int) -> str:
    overrides = "".join(
        f'<Override PartName="/xl/worksheets/sheet{n}.xml" ContentType="{_SHEET_TYPE}"/>'
        for n in range(1, sheets + 1)
    )
    main = "application/vnd.openxmlformats-officedocument.spreadsheetml"
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" '
        'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        f'<Override PartName="/xl/workbook.xml" ContentType="{main}.sheet.main+xml"/>'
        f'<Override PartName="/xl/styles.xml" ContentType="{main}.styles+xml"/>'
        f"{overrides}</Types>"
    )


def _workbook(titles: Iterable[str]) -> str:
    sheets = "".join(
        f'<sheet name={quoteattr(title)} sheetId="{n}" r:id="rId{n}"/>'
        for n, title in enumerate(titles, start=1)
    )
    return (
        f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><workbook {_NS} '
        f'xmlns:r="{_REL}"><bookViews><workbookView activeTab="0"/></bookViews>'
        f"<sheets>{sheets}</sheets></workbook>"
    )


def _workbook_rels(sheets: int) -> str:
    rels = "".join(
        f'<Relationship Id="rId{n}" Type="{_REL}/worksheet" Target="worksheets/sheet{n}.xml"/>'
        for n in range(1, sheets + 1)
    )
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        f'{rels}<Relationship Id="rId{sheets + 1}" Type="{_REL}/styles" Target="styles.xml"/>'
        "</Relationships>"
    )
