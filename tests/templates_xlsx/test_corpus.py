"""The hostile and malformed workbook corpus: each gets its specific code, none crashes, and
nothing is written to the store."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable
from datetime import datetime
from decimal import Decimal

import pytest
from openpyxl.comments import Comment  # noqa: F401 - keeps openpyxl's comment writer loaded
from sqlalchemy import func, select

from core.store import session_scope
from core.store.models import AuditLog, Upload, UploadRow, WorkItem
from templates_xlsx.check import check_upload
from templates_xlsx.template import MARKER_SHEET
from tests.templates_xlsx.workbooks import (
    ORDER_ROW,
    PRICE_ROW,
    SHIP_TO_ROW,
    TODAY,
    add_content_type,
    edited,
    parts,
    patch_sizes,
    point_entry_at,
    rezip,
    seed_store,
    sheet_xml,
    with_sheet,
    workbook_bytes,
    write,
)

MAIN = "application/vnd.openxmlformats-officedocument.spreadsheetml"


def good(kind: str = "order_changes") -> bytes:
    rows = {"order_changes": ORDER_ROW, "price_list": PRICE_ROW, "ship_tos": SHIP_TO_ROW}
    return workbook_bytes(kind, [rows[kind]])


def orders(*changes: dict) -> bytes:
    return workbook_bytes("order_changes", [ORDER_ROW | change for change in changes])


def cell_edit(ref: str, value: object, number_format: str | None = None) -> Callable:
    def edit(workbook) -> None:
        workbook.worksheets[0][ref] = value
        if number_format:
            workbook.worksheets[0][ref].number_format = number_format

    return edit


def sheet_replace(data: bytes, old: bytes, new: bytes) -> bytes:
    sheet = parts(data)["xl/worksheets/sheet1.xml"]
    assert old in sheet
    return with_sheet(data, sheet.replace(old, new))


def ole(extra: bytes = b"") -> bytes:
    return b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504 + extra


def far_cell(ref: str) -> bytes:
    cells = '<row r="1"><c r="A1" t="inlineStr"><is><t>Order</t></is></c></row>'
    row = "".join(ch for ch in ref if ch.isdigit())
    cells += f'<row r="{row}"><c r="{ref}"><v>1</v></c></row>'
    return with_sheet(good(), sheet_xml(cells))


def big_zero_part() -> bytes:
    return rezip(good(), add={"xl/media/zeros.bin": b"\x00" * (60 << 20)})


def bzip2_part() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, body in parts(good()).items():
            method = zipfile.ZIP_BZIP2 if name.endswith("styles.xml") else zipfile.ZIP_DEFLATED
            archive.writestr(zipfile.ZipInfo(name), body, compress_type=method)
    return buffer.getvalue()


def encrypted_entry() -> bytes:
    raw = bytearray(good())
    central = raw.find(b"PK\x01\x02")
    raw[central + 8] |= 0x1
    return bytes(raw)


def duplicate_names() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, body in parts(good()).items():
            archive.writestr(name, body)
        with pytest.warns(UserWarning):
            archive.writestr("xl/workbook.xml", b"<workbook/>")
    return buffer.getvalue()


def doctype(part: str, dtd: str) -> bytes:
    body = parts(good())[part]
    prolog_end = body.find(b"?>") + 2 if body.startswith(b"<?xml") else 0
    return rezip(good(), {part: body[:prolog_end] + dtd.encode() + body[prolog_end:]})


OLE_LINK = (
    b'<Relationships xmlns="urn:r"><Relationship Id="r9" Type="urn:oleObject" '
    b'Target="file:///c:/x.xls" TargetMode="External"/></Relationships>'
)
XXE = '<!DOCTYPE x [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
LAUGHS = '<!DOCTYPE l [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>'


def marker_edit(kind: str, version: object) -> Callable:
    def edit(workbook) -> None:
        workbook[MARKER_SHEET]["B1"] = kind
        workbook[MARKER_SHEET]["C1"] = version

    return edit


def many_parts() -> bytes:
    return rezip(good(), add={f"docProps/extra{n}.xml": b"<a/>" for n in range(1001)})


def merged_header(workbook) -> None:
    workbook.worksheets[0].merge_cells("H1:I1")


def hidden_row(workbook) -> None:
    workbook.worksheets[0].row_dimensions[2].hidden = True


def date1904(workbook) -> None:
    workbook.epoch = datetime(1904, 1, 1)


# name -> (build, kind, expected status, expected code, settings overrides)
CORPUS: dict[str, tuple[Callable[[], bytes], str, str, str, dict]] = {
    "zero_bytes": (lambda: b"", "order_changes", "refused", "not_xlsx", {}),
    "truncated_zip": (
        lambda: good()[: len(good()) // 2],
        "order_changes",
        "refused",
        "corrupt_zip",
        {},
    ),
    "csv_renamed": (
        lambda: b"Order,Line\n00000123,1\n",
        "order_changes",
        "refused",
        "not_xlsx",
        {},
    ),
    "legacy_xls": (lambda: ole(b"Workbook"), "order_changes", "refused", "legacy_xls", {}),
    "encrypted_ooxml": (
        lambda: ole("EncryptedPackage".encode("utf-16-le")),
        "order_changes",
        "refused",
        "encrypted",
        {},
    ),
    "empty_zip": (lambda: b"PK\x05\x06" + b"\x00" * 18, "order_changes", "refused", "not_xlsx", {}),
    "random_zip": (
        lambda: rezip(good(), drop=tuple(parts(good()))[:], add={"a.txt": b"hi"}),
        "order_changes",
        "refused",
        "not_xlsx",
        {},
    ),
    "ods_renamed": (
        lambda: rezip(good(), add={"mimetype": b"application/vnd.oasis.opendocument.spreadsheet"}),
        "order_changes",
        "refused",
        "not_xlsx",
        {},
    ),
    "macro_renamed_xlsx": (
        lambda: add_content_type(
            rezip(good(), add={"xl/vbaProject.bin": b"\x00" * 64}),
            "xl/vbaProject.bin",
            "application/vnd.ms-office.vbaProject",
        ),
        "order_changes",
        "refused",
        "macros",
        {},
    ),
    "macro_content_type": (
        lambda: rezip(
            good(),
            {
                "[Content_Types].xml": parts(good())["[Content_Types].xml"].replace(
                    b"sheet.main+xml", b"sheet.macroEnabled.main+xml"
                )
            },
        ),
        "order_changes",
        "refused",
        "macros",
        {},
    ),
    "xlm_macro_sheet": (
        lambda: rezip(good(), add={"xl/macrosheets/sheet1.xml": b"<x/>"}),
        "order_changes",
        "refused",
        "macros",
        {},
    ),
    "missing_content_types": (
        lambda: rezip(good(), drop=("[Content_Types].xml",)),
        "order_changes",
        "refused",
        "missing_part",
        {},
    ),
    "missing_workbook_part": (
        lambda: rezip(good(), drop=("xl/workbook.xml",)),
        "order_changes",
        "refused",
        "missing_part",
        {},
    ),
    "broken_xml_workbook": (
        lambda: rezip(good(), {"xl/workbook.xml": b"<workbook><sheets>"}),
        "order_changes",
        "refused",
        "bad_xml",
        {},
    ),
    "broken_xml_sheet": (
        lambda: with_sheet(good(), sheet_xml("<row r='1'><c r='A1'>")[:-30]),
        "order_changes",
        "refused",
        "bad_xml",
        {},
    ),
    "xxe_in_sheet": (
        lambda: doctype("xl/worksheets/sheet1.xml", XXE),
        "order_changes",
        "refused",
        "dtd",
        {},
    ),
    "billion_laughs_in_styles": (
        lambda: doctype("xl/styles.xml", LAUGHS),
        "order_changes",
        "refused",
        "dtd",
        {},
    ),
    "doctype_in_content_types": (
        lambda: doctype("[Content_Types].xml", XXE),
        "order_changes",
        "refused",
        "dtd",
        {},
    ),
    "utf16_part": (
        lambda: rezip(good(), {"xl/styles.xml": "\ufeff<a/>".encode("utf-16")}),
        "order_changes",
        "refused",
        "bad_xml",
        {},
    ),
    "nul_bytes_in_part": (
        lambda: rezip(good(), {"xl/styles.xml": b"<a>\x00</a>"}),
        "order_changes",
        "refused",
        "bad_xml",
        {},
    ),
    "zip_bomb_ratio": (big_zero_part, "order_changes", "refused", "zip_bomb", {}),
    "zip_bomb_total": (
        good,
        "order_changes",
        "refused",
        "zip_bomb",
        {"uploads__max_unpacked_bytes": 1000},
    ),
    "part_larger_than_declared": (
        lambda: patch_sizes(good(), "xl/styles.xml", 10),
        "order_changes",
        "refused",
        "zip_bomb",
        {},
    ),
    "part_smaller_than_declared": (
        lambda: patch_sizes(good(), "xl/styles.xml", 999_999),
        "order_changes",
        "refused",
        "corrupt_zip",
        {},
    ),
    "overlapping_entries": (
        lambda: point_entry_at(good(), "xl/styles.xml", "xl/workbook.xml"),
        "order_changes",
        "refused",
        "zip_bomb",
        {},
    ),
    "too_many_parts": (many_parts, "order_changes", "refused", "too_many_parts", {}),
    "duplicate_part_names": (duplicate_names, "order_changes", "refused", "corrupt_zip", {}),
    "bzip2_compression": (bzip2_part, "order_changes", "refused", "corrupt_zip", {}),
    "encrypted_zip_entry": (encrypted_entry, "order_changes", "refused", "encrypted", {}),
    "too_large": (good, "order_changes", "refused", "too_large", {"uploads__max_bytes": 100}),
    "shape_far_cell": (lambda: far_cell("XFD1048576"), "order_changes", "refused", "shape", {}),
    "shape_far_row": (lambda: far_cell("A1048576"), "order_changes", "refused", "shape", {}),
    "shape_far_column": (lambda: far_cell("XFD2"), "order_changes", "refused", "shape", {}),
    "shape_dimension": (
        lambda: with_sheet(good(), sheet_xml("", '<dimension ref="A1:XFD1048576"/>')),
        "order_changes",
        "refused",
        "shape",
        {},
    ),
    "shape_implicit_columns": (
        lambda: with_sheet(good(), sheet_xml('<row r="1048576"><c><v>1</v></c></row>')),
        "order_changes",
        "refused",
        "shape",
        {},
    ),
    "shape_prefixed_cells": (
        lambda: with_sheet(
            good(),
            sheet_xml('<x:row r="2"><x:c r="XFD2"><x:v>1</x:v></x:c></x:row>').replace(
                b"<worksheet ", b'<worksheet xmlns:x="urn:x" '
            ),
        ),
        "order_changes",
        "refused",
        "shape",
        {},
    ),
    "shape_single_quoted_ref": (
        lambda: with_sheet(good(), sheet_xml("<row r='9'><c r='A1048000'><v>1</v></c></row>")),
        "order_changes",
        "refused",
        "shape",
        {},
    ),
    "external_link_part": (
        lambda: add_content_type(
            rezip(good(), add={"xl/externalLinks/externalLink1.xml": b"<externalLink/>"}),
            "xl/externalLinks/externalLink1.xml",
            f"{MAIN}.externalLink+xml",
        ),
        "order_changes",
        "refused",
        "external_link",
        {},
    ),
    "external_relationship": (
        lambda: rezip(
            good(),
            add={"xl/worksheets/_rels/sheet1.xml.rels": OLE_LINK},
        ),
        "order_changes",
        "refused",
        "external_link",
        {},
    ),
    "foreign_template": (
        lambda: good("price_list"),
        "order_changes",
        "refused",
        "wrong_template",
        {},
    ),
    "old_template": (
        lambda: edited("order_changes", [ORDER_ROW], marker_edit("order_changes", 0)),
        "order_changes",
        "refused",
        "old_template",
        {},
    ),
    "wrong_header": (
        lambda: edited("order_changes", [ORDER_ROW], cell_edit("E1", "Qty")),
        "order_changes",
        "invalid",
        "bad_header",
        {},
    ),
    "reordered_headers": (
        lambda: edited(
            "order_changes",
            [ORDER_ROW],
            lambda wb: (
                wb.worksheets[0].__setitem__("F1", "Promised Date"),
                wb.worksheets[0].__setitem__("G1", "Requested Date"),
            ),
        ),
        "order_changes",
        "invalid",
        "header_order",
        {},
    ),
    "unknown_column": (
        lambda: edited("order_changes", [ORDER_ROW], cell_edit("J1", "Notes")),
        "order_changes",
        "invalid",
        "unknown_column",
        {},
    ),
    "wrong_sheet": (
        lambda: edited(
            "order_changes",
            [ORDER_ROW],
            lambda wb: (
                setattr(wb.worksheets[0], "title", "Sheet1"),
                wb.remove(wb[MARKER_SHEET]),
                wb.worksheets[0].__setitem__("A1", "Orders"),
            ),
        ),
        "order_changes",
        "invalid",
        "wrong_sheet",
        {},
    ),
    "formula_without_value": (
        lambda: edited("order_changes", [ORDER_ROW], cell_edit("E2", "=10+2")),
        "order_changes",
        "invalid",
        "formula_no_value",
        {},
    ),
    "date_as_text": (
        lambda: edited("order_changes", [ORDER_ROW], cell_edit("F2", "04/01/26")),
        "order_changes",
        "invalid",
        "bad_date",
        {},
    ),
    "date_as_serial": (
        lambda: edited("order_changes", [ORDER_ROW], cell_edit("F2", 46113, "General")),
        "order_changes",
        "invalid",
        "date_as_number",
        {},
    ),
    "merged_header_cells": (
        lambda: edited("order_changes", [ORDER_ROW], merged_header),
        "order_changes",
        "invalid",
        "merged_cells",
        {},
    ),
    "hidden_row": (
        lambda: edited("order_changes", [ORDER_ROW], hidden_row),
        "order_changes",
        "invalid",
        "hidden_row",
        {},
    ),
    "control_characters": (
        lambda: sheet_replace(good(), b">Ground<", b">Gro_x0001_und<"),
        "order_changes",
        "invalid",
        "control_character",
        {},
    ),
    "line_break_in_code": (
        lambda: orders({"ship_to": "00\n2"}),
        "order_changes",
        "invalid",
        "line_break",
        {},
    ),
    "cell_of_40000_characters": (
        lambda: orders({"ship_method": "x" * 40_000}),
        "order_changes",
        "invalid",
        "too_long",
        {},
    ),
    "duplicate_keys": (lambda: orders({}, {}), "order_changes", "invalid", "duplicate_key", {}),
    "unknown_order": (
        lambda: orders({"order": "99999999"}),
        "order_changes",
        "invalid",
        "unknown_order",
        {},
    ),
    "unknown_line": (lambda: orders({"line": 7}), "order_changes", "invalid", "unknown_line", {}),
    "negative_quantity": (
        lambda: orders({"quantity": Decimal("-3")}),
        "order_changes",
        "invalid",
        "out_of_range",
        {},
    ),
    "too_many_decimals": (
        lambda: workbook_bytes("price_list", [PRICE_ROW | {"unit_price": Decimal("10.125")}]),
        "price_list",
        "invalid",
        "too_many_decimals",
        {},
    ),
    "text_in_number_column": (
        lambda: edited("order_changes", [ORDER_ROW], cell_edit("E2", "ten")),
        "order_changes",
        "invalid",
        "bad_type",
        {},
    ),
    "not_in_drop_down": (
        lambda: edited("order_changes", [ORDER_ROW], cell_edit("C2", "delete")),
        "order_changes",
        "invalid",
        "not_a_choice",
        {},
    ),
    "required_cell_blank": (
        lambda: orders({"order": None}),
        "order_changes",
        "invalid",
        "required",
        {},
    ),
    "header_only": (
        lambda: workbook_bytes("order_changes", []),
        "order_changes",
        "invalid",
        "no_rows",
        {},
    ),
    "quantity_below_shipped": (
        lambda: orders({"quantity": Decimal("1")}),
        "order_changes",
        "invalid",
        "below_shipped",
        {},
    ),
    "date_in_past": (
        lambda: orders({"promised_date": datetime(2025, 1, 2).date()}),
        "order_changes",
        "invalid",
        "date_in_past",
        {},
    ),
    "foreign_ship_to": (
        lambda: orders({"ship_to": "777"}),
        "order_changes",
        "invalid",
        "ship_to_not_customer",
        {},
    ),
    "inactive_item": (
        lambda: orders({"line": 2, "item": "SKU-9", "quantity": Decimal("6")}),
        "order_changes",
        "invalid",
        "item_inactive",
        {},
    ),
    "closed_order": (
        lambda: orders({"order": "00000124"}),
        "order_changes",
        "invalid",
        "order_closed",
        {},
    ),
    "overlapping_prices": (
        lambda: workbook_bytes(
            "price_list", [PRICE_ROW | {"effective_from": datetime(2026, 6, 1).date()}]
        ),
        "price_list",
        "invalid",
        "overlapping_range",
        {},
    ),
    "price_not_positive": (
        lambda: workbook_bytes("price_list", [PRICE_ROW | {"unit_price": Decimal("0")}]),
        "price_list",
        "invalid",
        "out_of_range",
        {},
    ),
    "bad_postal_code": (
        lambda: workbook_bytes("ship_tos", [SHIP_TO_ROW | {"postal_code": "2134"}]),
        "ship_tos",
        "invalid",
        "bad_postal_code",
        {},
    ),
    "bad_state": (
        lambda: workbook_bytes("ship_tos", [SHIP_TO_ROW | {"state": "XX"}]),
        "ship_tos",
        "invalid",
        "bad_state",
        {},
    ),
    "two_defaults": (
        lambda: workbook_bytes("ship_tos", [SHIP_TO_ROW | {"is_default": True}]),
        "ship_tos",
        "invalid",
        "two_defaults",
        {},
    ),
    "unknown_customer": (
        lambda: workbook_bytes("ship_tos", [SHIP_TO_ROW | {"customer": "C999"}]),
        "ship_tos",
        "invalid",
        "unknown_customer",
        {},
    ),
}


def test_the_corpus_has_at_least_fifty_workbooks():
    assert len(CORPUS) >= 50


@pytest.fixture
def seeded(make_settings, db_url):
    seed_store(db_url)
    return make_settings


def _written(url: str) -> int:
    with session_scope(url) as session:
        return sum(
            session.scalar(select(func.count()).select_from(model))
            for model in (Upload, UploadRow, WorkItem, AuditLog)
        )


@pytest.mark.parametrize("name", sorted(CORPUS))
def test_each_hostile_workbook_gets_its_code_and_writes_nothing(name, seeded, tmp_path):
    build, kind, status, code, overrides = CORPUS[name]
    settings = seeded(**overrides)
    path = write(tmp_path, f"{name}.xlsx", build())
    result = check_upload(settings, kind, path, today=TODAY)
    found = result.reason if status == "refused" else {e.code for e in result.errors}
    assert result.status == status, result.to_json()
    assert code == found if status == "refused" else code in found, result.to_json()
    assert all(e.row >= 1 and e.column_letter and e.message for e in result.errors)
    assert _written(settings.database_url) == 0


@pytest.mark.parametrize("kind", ["order_changes", "price_list", "ship_tos"])
def test_a_good_row_is_valid(kind, seeded, tmp_path):
    result = check_upload(seeded(), kind, write(tmp_path, "ok.xlsx", good(kind)), today=TODAY)
    assert result.status == "valid", result.to_json()
    assert result.rows == 1 and result.template


def test_a_1904_workbook_reads_the_same_dates(seeded, tmp_path):
    path = write(tmp_path, "1904.xlsx", edited("order_changes", [ORDER_ROW], date1904))
    assert b'date1904="1"' in parts(path.read_bytes())["xl/workbook.xml"]
    result = check_upload(seeded(), "order_changes", path, today=TODAY)
    assert result.status == "valid", result.to_json()
    assert result.table.columns["requested_date"] == [ORDER_ROW["requested_date"]]


def test_codes_keep_leading_zeros_and_messages_name_the_cell(seeded, tmp_path):
    path = write(tmp_path, "x.xlsx", orders({"quantity": Decimal("1")}))
    result = check_upload(seeded(), "order_changes", path, today=TODAY)
    (error,) = result.errors
    assert (error.row, error.column, error.column_letter) == (2, "Quantity", "E")
    assert error.sheet == "order_changes" and "shipped" in error.message
    assert result.table.columns["order"] == ["00000123"]
