"""Safety pre-check of an uploaded workbook, before any spreadsheet parser sees it.

Checks, in order: size; file type by magic bytes (legacy .xls, encrypted OOXML, ODS, CSV);
ZIP directory (part count, duplicate or overlapping entries, encryption, compression method,
declared sizes and ratios); macros and external links; every XML part inflated by hand with
its declared size and CRC enforced, refused if it holds a DOCTYPE or ENTITY; and every
worksheet's cell references against the row and column limits, because a 5 KB file that
claims a cell at XFD1048576 makes python-calamine allocate the whole rectangle and abort.

The worksheet scan reads every cell reference with a few numpy passes over the inflated
bytes (cell_refs; the common, regular case: every <c> carries r="A1" first); any irregular
cell markup falls back to a streaming expat pass that places cells exactly as calamine does.
Formulas without a cached value and hidden rows are noted for validation to report.
"""

from __future__ import annotations

import hashlib
import re
import struct
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import IO, Any
from xml.parsers import expat

import defusedxml.ElementTree as SafeET
import numpy as np
from openpyxl.utils import get_column_letter

from templates_xlsx.cell_refs import Cells, parse_ref, scan_cells

OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ZIP_MAGIC = b"PK\x03\x04"
EMPTY_ZIP = b"PK\x05\x06"
LOCAL_HEADER = struct.Struct("<4s5H3I2H")
CHUNK = 1 << 20
RATIO_FLOOR = 1 << 20  # parts smaller than this are not judged by their compression ratio
SMALL_PART = 8 << 20  # package parts we parse whole (content types, rels, workbook)
MAX_TAG_RUN = 8 << 20  # bytes without a boundary that no honest XML part has
DTD_MARKS = (b"<!DOCTYPE", b"<!ENTITY")  # the longest first
WORKBOOK_TYPES = (
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.template.main+xml",
)
REL_OFFICE_DOCUMENT = "/officeDocument"
REL_WORKSHEET = "/worksheet"
REL_HYPERLINK = "/hyperlink"
MACRO_PARTS = ("vbaproject", "xl/macrosheets/", "xl/dialogsheets/", "xl/activex/")
MACRO_TYPES = ("macroenabled", "vbaproject", "macrosheet", "dialogsheet", "activex")
EXTERNAL_PARTS = ("xl/externallinks/", "xl/connections.xml", "xl/querytables/")
EXTERNAL_TYPES = ("externallink", "connections", "querytable")


class Refused(Exception):
    """The upload is refused before validation; reason is a stable code."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason
        self.message = message


@dataclass(frozen=True)
class Limits:
    max_bytes: int
    max_rows: int
    max_columns: int
    max_parts: int
    max_ratio: int
    max_unpacked_bytes: int
    parse_timeout_seconds: int
    parse_memory_mb: int

    @classmethod
    def from_settings(cls, settings: Any) -> Limits:
        uploads = settings.uploads
        return cls(**{name: int(uploads[name]) for name in cls.__dataclass_fields__})


@dataclass
class SheetFacts:
    name: str
    part: str | None
    state: str  # visible | hidden | veryHidden
    formula_cells: list[str] = field(default_factory=list)  # formulas with no saved value
    hidden_rows: list[int] = field(default_factory=list)


@dataclass
class SafetyReport:
    sha256: str
    date1904: bool
    sheets: list[SheetFacts]

    def sheet(self, name: str) -> SheetFacts | None:
        return next((s for s in self.sheets if s.name == name), None)


def precheck(path: Path, limits: Limits) -> SafetyReport:
    """Refuse (raise Refused) or describe the workbook; reads nothing but bytes and XML."""
    path = Path(path)
    size = path.stat().st_size
    if size == 0:
        raise Refused("not_xlsx", "The file is empty. Upload an Excel workbook (.xlsx).")
    if size > limits.max_bytes:
        raise Refused(
            "too_large",
            f"The file is {size:,} bytes; at most {limits.max_bytes:,} are accepted. "
            "Split the rows over several workbooks.",
        )
    raw = path.read_bytes()
    _check_magic(raw)
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError) as exc:
        raise Refused(
            "corrupt_zip", "The workbook is damaged or cut short (the ZIP structure is broken)."
        ) from exc
    with archive, open(path, "rb") as handle:
        infos = _check_directory(archive, handle, limits, size)
        package = _Package(handle, infos, limits)
        return package.inspect(hashlib.sha256(raw).hexdigest())


def _check_magic(raw: bytes) -> None:
    if raw.startswith(OLE_MAGIC):
        if "EncryptedPackage".encode("utf-16-le") in raw:
            raise Refused(
                "encrypted",
                "The workbook is password protected. Remove the password "
                "(File > Info > Protect Workbook) and upload it again.",
            )
        raise Refused(
            "legacy_xls",
            "This is an old-style Excel 97-2003 file (.xls). Save it as Excel Workbook (.xlsx).",
        )
    if raw.startswith(EMPTY_ZIP):
        raise Refused("not_xlsx", "The file is an empty ZIP archive, not an Excel workbook.")
    if not raw.startswith(ZIP_MAGIC):
        looks_text = all(b in b"\t\r\n" or 32 <= b < 127 or b >= 128 for b in raw[:512])
        hint = " It looks like a CSV or text file." if looks_text else ""
        raise Refused(
            "not_xlsx",
            f"The file is not an Excel workbook.{hint} Open it in Excel and save it as "
            "Excel Workbook (.xlsx), then upload that file.",
        )


def _check_directory(
    archive: zipfile.ZipFile, handle: IO[bytes], limits: Limits, size: int
) -> dict[str, zipfile.ZipInfo]:
    infos = archive.infolist()
    if len(infos) > limits.max_parts:
        raise Refused(
            "too_many_parts",
            f"The workbook has {len(infos):,} internal parts; at most {limits.max_parts:,} "
            "are accepted.",
        )
    by_name: dict[str, zipfile.ZipInfo] = {}
    total = 0
    for info in infos:
        name = info.filename
        if name in by_name or name.startswith("/") or ".." in PurePosixPath(name).parts:
            raise Refused("corrupt_zip", "The workbook's ZIP directory is malformed.")
        if info.flag_bits & 0x1:
            raise Refused("encrypted", "Parts of the workbook are encrypted.")
        if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            raise Refused("corrupt_zip", "The workbook uses a compression Excel does not write.")
        total += info.file_size
        ratio = info.file_size / max(info.compress_size, 1)
        if info.file_size > RATIO_FLOOR and ratio > limits.max_ratio:
            raise Refused(
                "zip_bomb",
                f"Part {name} expands {ratio:,.0f} times; at most {limits.max_ratio} is accepted.",
            )
        by_name[name] = info
    if total > limits.max_unpacked_bytes:
        raise Refused(
            "zip_bomb",
            f"The workbook unpacks to {total:,} bytes; at most {limits.max_unpacked_bytes:,}.",
        )
    _check_layout(sorted(infos, key=lambda i: i.header_offset), handle, size)
    return by_name


def _check_layout(infos: list[zipfile.ZipInfo], handle: IO[bytes], size: int) -> None:
    """Entries must not overlap: overlapping entries are how the worst ZIP bombs work."""
    if len({info.header_offset for info in infos}) != len(infos):
        raise Refused("zip_bomb", "The workbook's ZIP entries overlap.")
    end = 0
    for info in infos:
        if info.header_offset < end:
            raise Refused("zip_bomb", "The workbook's ZIP entries overlap.")
        handle.seek(info.header_offset)
        header = handle.read(LOCAL_HEADER.size)
        if len(header) < LOCAL_HEADER.size:
            raise Refused("corrupt_zip", "The workbook is cut short.")
        fields = LOCAL_HEADER.unpack(header)
        if fields[0] != ZIP_MAGIC:
            raise Refused("corrupt_zip", "The workbook's ZIP entries are damaged.")
        name = handle.read(fields[9])
        if (
            name.decode("utf-8", "replace") != info.filename
            and name.decode("cp437", "replace") != info.filename
        ):
            raise Refused("corrupt_zip", "The workbook's ZIP entries disagree on their names.")
        end = info.header_offset + LOCAL_HEADER.size + fields[9] + fields[10] + info.compress_size
        if end > size:
            raise Refused("corrupt_zip", "The workbook is cut short.")


def inflate(handle: IO[bytes], info: zipfile.ZipInfo) -> Iterator[bytes]:
    """A part's bytes, holding it to its declared size and CRC (never more than declared)."""
    handle.seek(info.header_offset)
    fields = LOCAL_HEADER.unpack(handle.read(LOCAL_HEADER.size))
    handle.seek(info.header_offset + LOCAL_HEADER.size + fields[9] + fields[10])
    left = info.compress_size
    inflater = zlib.decompressobj(-15) if info.compress_type == zipfile.ZIP_DEFLATED else None
    produced, crc = 0, 0
    try:
        while left:
            data = handle.read(min(CHUNK, left))
            if not data:
                raise Refused("corrupt_zip", f"Part {info.filename} is cut short.")
            left -= len(data)
            while data:
                out = inflater.decompress(data, CHUNK) if inflater else data
                data = inflater.unconsumed_tail if inflater else b""
                produced += len(out)
                if produced > info.file_size:
                    raise Refused(
                        "zip_bomb",
                        f"Part {info.filename} holds more data than it declares.",
                    )
                crc = zlib.crc32(out, crc)
                if out:
                    yield out
    except zlib.error as exc:
        raise Refused("corrupt_zip", f"Part {info.filename} is damaged.") from exc
    if (inflater and not inflater.eof) or produced != info.file_size or crc != info.CRC:
        raise Refused("corrupt_zip", f"Part {info.filename} is damaged or cut short.")


class _Package:
    """The OPC package inside the ZIP: content types, relationships, workbook, parts."""

    def __init__(
        self, handle: IO[bytes], infos: dict[str, zipfile.ZipInfo], limits: Limits
    ) -> None:
        self.handle = handle
        self.infos = infos
        self.limits = limits
        self.folded = {name.casefold(): name for name in infos}

    def inspect(self, sha256: str) -> SafetyReport:
        self._check_kind()
        types = self._content_types()
        self._check_macros_and_links(types)
        workbook = self._workbook_part()
        if types.get(workbook) not in WORKBOOK_TYPES:
            raise Refused("not_xlsx", "The file is not an Excel workbook (.xlsx).")
        for name in self.infos:
            if name.endswith(".rels"):
                self._check_rels(name)
        date1904, sheets = self._sheets(workbook)
        parts = {sheet.part: sheet for sheet in sheets if sheet.part}
        for name, info in self.infos.items():
            if name in parts:
                _scan_worksheet(self.handle, info, self.limits, parts[name])
            elif _is_xml(name, types):
                for _ in _guarded(inflate(self.handle, info), name):
                    pass
        return SafetyReport(sha256=sha256, date1904=date1904, sheets=sheets)

    def _check_kind(self) -> None:
        if "mimetype" in self.infos:
            kind = self._read("mimetype")[:80].decode("ascii", "replace")
            if "opendocument" in kind:
                raise Refused(
                    "not_xlsx",
                    "This is an OpenDocument spreadsheet (.ods). Save it as Excel Workbook "
                    "(.xlsx).",
                )
        if "[Content_Types].xml" not in self.infos:
            if "xl/workbook.xml" in self.folded or "xl/workbook.bin" in self.folded:
                raise Refused("missing_part", "The workbook is missing its content types part.")
            raise Refused("not_xlsx", "The file is a ZIP archive, not an Excel workbook.")

    def _read(self, name: str) -> bytes:
        info = self.infos[name]
        if info.file_size > SMALL_PART:
            raise Refused("bad_xml", f"Part {name} is far larger than any workbook needs.")
        return b"".join(_guarded(inflate(self.handle, info), name))

    def _parse(self, name: str) -> Any:
        try:
            return SafeET.fromstring(self._read(name), forbid_dtd=True)
        except Refused:
            raise
        except Exception as exc:  # noqa: BLE001 - any parser complaint means broken XML
            raise Refused("bad_xml", f"Part {name} is not well-formed XML.") from exc

    def _content_types(self) -> dict[str, str]:
        root = self._parse("[Content_Types].xml")
        defaults, types = {}, {}
        for node in root:
            tag = _local(node.tag)
            if tag == "Default":
                defaults[node.get("Extension", "").casefold()] = node.get("ContentType", "")
            elif tag == "Override":
                types[node.get("PartName", "").lstrip("/")] = node.get("ContentType", "")
        for name in self.infos:
            if name not in types:
                types[name] = defaults.get(name.rsplit(".", 1)[-1].casefold(), "")
        return types

    def _check_macros_and_links(self, types: dict[str, str]) -> None:
        for name, kind in types.items():
            folded, kind = name.casefold(), kind.casefold()
            if any(p in folded for p in MACRO_PARTS) or any(t in kind for t in MACRO_TYPES):
                raise Refused(
                    "macros",
                    "The workbook contains macros or ActiveX controls. Save it as Excel Workbook "
                    "(.xlsx) without macros and upload it again.",
                )
            if folded.startswith(EXTERNAL_PARTS) or any(t in kind for t in EXTERNAL_TYPES):
                raise Refused(
                    "external_link",
                    "The workbook links to other files or data connections. Break the links "
                    "(Data > Edit Links > Break Link) and upload it again.",
                )

    def _check_rels(self, name: str) -> None:
        for rel in self._parse(name):
            kind = rel.get("Type", "")
            if rel.get("TargetMode") == "External" and not kind.endswith(REL_HYPERLINK):
                raise Refused(
                    "external_link",
                    "The workbook refers to an outside file or address. Break the links "
                    "(Data > Edit Links > Break Link) and upload it again.",
                )

    def _rels(self, part: str) -> dict[str, tuple[str, str]]:
        folder, _, base = part.rpartition("/")
        rels_name = f"{folder}/_rels/{base}.rels" if folder else f"_rels/{base}.rels"
        if rels_name not in self.infos:
            return {}
        result = {}
        for rel in self._parse(rels_name):
            target = rel.get("Target", "")
            resolved = target.lstrip("/") if target.startswith("/") else _join(folder, target)
            result[rel.get("Id", "")] = (rel.get("Type", ""), resolved)
        return result

    def _workbook_part(self) -> str:
        for kind, target in self._rels("").values():
            if kind.endswith(REL_OFFICE_DOCUMENT) and target in self.infos:
                return target
        raise Refused("missing_part", "The workbook part is missing; the file is damaged.")

    def _sheets(self, workbook: str) -> tuple[bool, list[SheetFacts]]:
        root = self._parse(workbook)
        rels = self._rels(workbook)
        date1904 = False
        sheets: list[SheetFacts] = []
        for node in root.iter():
            tag = _local(node.tag)
            if tag == "workbookPr":
                date1904 = node.get("date1904", "0").casefold() in ("1", "true")
            elif tag == "sheet":
                rel_id = next((v for k, v in node.attrib.items() if _local(k) == "id"), "")
                kind, target = rels.get(rel_id, ("", ""))
                part = target if kind.endswith(REL_WORKSHEET) and target in self.infos else None
                state = node.get("state", "visible")
                sheets.append(SheetFacts(name=node.get("name", ""), part=part, state=state))
        return date1904, sheets


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1].rsplit(":", 1)[-1]


def _join(folder: str, target: str) -> str:
    parts: list[str] = [p for p in folder.split("/") if p]
    for piece in target.split("/"):
        if piece == "..":
            if parts:
                parts.pop()
        elif piece and piece != ".":
            parts.append(piece)
    return "/".join(parts)


def _is_xml(name: str, types: dict[str, str]) -> bool:
    return name.endswith((".xml", ".rels", ".vml")) or types.get(name, "").endswith("xml")


def _guarded(
    chunks: Iterator[bytes], name: str, boundary: bytes = b">", *, whole_dtd_check: bool = True
) -> Iterator[bytes]:
    """Pieces of a part cut after the last `boundary` (whole tags, or whole rows of a sheet,
    so patterns never straddle two pieces), refused on DTD or NUL bytes. A part with no
    boundary for MAX_TAG_RUN bytes is cut anywhere; the DTD check also looks across every
    cut, so a declaration split over two pieces is still found. Without `whole_dtd_check`
    the caller checks each piece for declarations itself (the worksheet scan reads every
    `<` once anyway and calls _guard on a piece that has a `<!`)."""
    carry = b""
    tail = b""
    first = True
    for chunk in chunks:
        if first and chunk[:2] in (b"\xff\xfe", b"\xfe\xff"):
            raise Refused("bad_xml", f"Part {name} is not UTF-8, as Excel always writes.")
        first = False
        data = carry + chunk
        cut = data.rfind(boundary) + len(boundary)
        if cut < len(boundary):
            if len(data) < MAX_TAG_RUN:
                carry = data
                continue
            cut = data.rfind(b">") + 1
        piece, carry = (data[:cut], data[cut:]) if cut else (data, b"")
        _guard(tail + piece[: len(DTD_MARKS[0])], name)
        _guard(piece, name, whole_dtd_check)
        tail = piece[-len(DTD_MARKS[0]) :]
        yield piece
    if carry:
        _guard(tail + carry[: len(DTD_MARKS[0])], name)
        _guard(carry, name, whole_dtd_check)
        yield carry


def _guard(piece: bytes, name: str, dtd: bool = True) -> None:
    if dtd and any(mark in piece for mark in DTD_MARKS):
        raise Refused(
            "dtd",
            f"Part {name} declares a DOCTYPE or entities, which workbooks never need; "
            "the file is refused.",
        )
    if b"\x00" in piece:
        raise Refused("bad_xml", f"Part {name} holds NUL bytes; the file is damaged.")


# --- worksheets -------------------------------------------------------------------------

_FORMULA = re.compile(
    rb'<c r="([A-Z]{1,3}\d{1,7})"[^>]*>\s*(?:<f[^>]*/>|<f[^>]*>[^<]*</f>)\s*(?!<v>[^<])'
)
_HIDDEN_ROW = re.compile(rb'<row r="(\d{1,7})"[^>]*?\shidden="(?:1|true)"')
_DIMENSION = re.compile(
    rb"<(?:[\w.-]+:)?dimension\s[^>]*?ref\s*=\s*[\"']([^\"']*)[\"']", re.IGNORECASE
)


class _Far(Exception):
    """A cell (or a claimed extent) beyond the limits, at `ref`."""

    def __init__(self, ref: str) -> None:
        super().__init__(ref)
        self.ref = ref


_LAST_ROW = re.compile(rb'<(?:[\w.-]+:)?row\s[^>]*?\br="(\d{1,7})"')
_LAST_CELL = re.compile(rb'<(?:[\w.-]+:)?c\s[^>]*?\br="([A-Za-z]{1,3}\d{1,7})"')
_TAIL = 64 * 1024


def _scan_worksheet(
    handle: IO[bytes], info: zipfile.ZipInfo, limits: Limits, facts: SheetFacts
) -> None:
    """The cell scan below; a sheet refused for its shape is refused naming its whole extent
    (the far cell found first, or its last row, whichever lies further), so a sheet filled
    down to row 1,048,576 says so rather than naming the first row past the limit."""
    try:
        _scan_cells(handle, info, limits, facts)
    except _Far as far:
        extent = _extent(far.ref, _last_refs(handle, info))
        raise Refused(
            "shape",
            f"Sheet '{facts.name}' has cells out to {extent}; at most {limits.max_rows:,} rows "
            f"below the header and {limits.max_columns} columns are accepted. Delete the "
            "unused rows and columns (or copy the data into a new template).",
        ) from None


def _last_refs(handle: IO[bytes], info: zipfile.ZipInfo) -> list[str]:
    """The last row number and cell reference of a part, read cheaply: the part is only
    inflated (its size and CRC still held), and the patterns run over its last 64 KiB.
    Excel and every writer put rows in order, so the last row is the sheet's extent."""
    tail = b""
    for chunk in inflate(handle, info):
        tail = (tail + chunk)[-_TAIL:]
    refs = []
    rows = list(_LAST_ROW.finditer(tail))
    if rows:
        refs.append(f"A{int(rows[-1][1])}")
    cells = list(_LAST_CELL.finditer(tail))
    if cells:
        refs.append(cells[-1][1].decode("ascii").upper())
    return refs


def _extent(far: str, others: list[str]) -> str:
    """The furthest column and the furthest row among these references."""
    places = [p for p in (parse_ref(ref) for ref in [far, *others]) if p]
    if not places:
        return far
    column = min(max(p[0] for p in places), 16384)
    return f"{get_column_letter(column)}{max(p[1] for p in places)}"


def _scan_cells(
    handle: IO[bytes], info: zipfile.ZipInfo, limits: Limits, facts: SheetFacts
) -> None:
    """Every cell's reference within the limits. The fast pass reads the references of
    regular cells (cell_refs.scan_cells, a few numpy passes per piece) and takes their
    largest column and row; it is exact for every cell it accepts, because a regular cell's
    reference is the only thing calamine uses to place it. The first irregular cell (no r,
    r not first, odd spacing or quoting, a prefixed tag, a reference calamine would read
    differently) sends the whole sheet to the exact expat pass, which places every cell as
    calamine does; so no cell is ever judged by a sample or a guess."""
    first = True
    pieces = _guarded(inflate(handle, info), info.filename, b"</row>", whole_dtd_check=False)
    for piece in pieces:
        if first:
            _check_dimension(piece, limits)
            first = False
        cells = scan_cells(piece)
        if cells.declarations:
            _guard(piece, info.filename)
        if not _regular_within_limits(piece, cells, limits):
            facts.formula_cells.clear()
            facts.hidden_rows.clear()
            _exact_scan(handle, info, limits, facts)
            return
        if cells.formulas:
            facts.formula_cells += [m[1].decode() for m in _FORMULA.finditer(piece)]
        if b'hidden="' in piece:
            facts.hidden_rows += [int(m[1]) for m in _HIDDEN_ROW.finditer(piece)]


def _regular_within_limits(piece: bytes, cells: Cells, limits: Limits) -> bool:
    """False if the piece holds an irregular cell; refuses a regular cell out of limits
    that comes before any irregular one (as the exact pass would, in document order)."""
    far = cells.beyond(limits.max_columns, limits.max_rows + 1)
    if far.any():
        index = int(np.argmax(far))
        if cells.regular[:index].all():
            raise _Far(cells.ref(piece, index))
    return cells.all_regular


def _check_dimension(piece: bytes, limits: Limits) -> None:
    """A claimed extent beyond the limits is refused at once, before the cells are read."""
    # it belongs before the cell data; reading only that far keeps the search short
    end = piece.find(b"sheetData")
    found = _DIMENSION.search(piece, 0, end if end >= 0 else len(piece))
    if found:
        for ref in found[1].decode("ascii", "replace").split(":"):
            place = parse_ref(ref.strip())
            if place:
                _check_extent(*place, limits)


def _check_extent(column: int, row: int, limits: Limits) -> None:
    if row > limits.max_rows + 1 or column > limits.max_columns:
        raise _Far(f"{get_column_letter(min(column, 16384))}{row}")


class _ExactScan:
    """Place every cell as calamine does (r attribute, else the next column of the row)."""

    def __init__(self, limits: Limits, facts: SheetFacts) -> None:
        self.limits, self.facts = limits, facts
        self.row, self.col = 0, 0
        self.cell: str | None = None
        self.has_formula = self.has_value = False
        self.in_value = False

    def start(self, name: str, attrs: dict[str, str]) -> None:
        tag = name.rsplit(" ", 1)[-1]
        if tag == "row":
            if "r" in attrs:
                self.row = int(attrs["r"]) - 1 if attrs["r"].isdigit() else self.row
            if attrs.get("hidden") in ("1", "true"):
                self.facts.hidden_rows.append(self.row + 1)
        elif tag == "c":
            if "r" in attrs:
                self.col, self.row = self._place(attrs["r"])
            _check_extent(self.col + 1, self.row + 1, self.limits)
            self.cell = f"{get_column_letter(self.col + 1)}{self.row + 1}"
            self.has_formula = self.has_value = False
        elif tag == "f":
            self.has_formula = True
        elif tag in ("v", "is"):
            self.in_value = True

    def _place(self, ref: str) -> tuple[int, int]:
        place = parse_ref(ref)
        if place is None or place[1] == 0:
            raise Refused(
                "bad_xml",
                f"Sheet '{self.facts.name}' has a cell reference {ref[:20]!r} that no "
                "spreadsheet writes; the file is damaged.",
            )
        return place[0] - 1, place[1] - 1

    def text(self, data: str) -> None:
        if self.in_value and data.strip():
            self.has_value = True

    def end(self, name: str) -> None:
        tag = name.rsplit(" ", 1)[-1]
        if tag == "row":
            self.row, self.col = self.row + 1, 0
        elif tag == "c":
            if self.has_formula and not self.has_value and self.cell:
                self.facts.formula_cells.append(self.cell)
            self.col += 1
        elif tag in ("v", "is"):
            self.in_value = False


def _exact_scan(
    handle: IO[bytes], info: zipfile.ZipInfo, limits: Limits, facts: SheetFacts
) -> None:
    scan = _ExactScan(limits, facts)
    parser = expat.ParserCreate(namespace_separator=" ")
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
    parser.StartElementHandler = scan.start
    parser.EndElementHandler = scan.end
    parser.CharacterDataHandler = scan.text
    parser.StartDoctypeDeclHandler = _no_doctype
    parser.EntityDeclHandler = _no_doctype
    try:
        for piece in _guarded(inflate(handle, info), info.filename):
            parser.Parse(piece, False)
        parser.Parse(b"", True)
    except expat.ExpatError as exc:
        raise Refused("bad_xml", f"Sheet '{facts.name}' is not well-formed XML.") from exc


def _no_doctype(*_args: Any) -> None:
    raise Refused("dtd", "A sheet declares a DOCTYPE or entities; the file is refused.")
