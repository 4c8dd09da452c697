"""The worksheet scan of the safety pre-check: the numpy pass over cell references agrees
with a plain reading of every tag, refuses far cells wherever they sit, sends every irregular
cell to the exact pass (which reads references as calamine does), and finds a DOCTYPE even
when it is split across two read pieces."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from templates_xlsx import safety
from templates_xlsx.cell_refs import parse_ref, scan_cells
from templates_xlsx.parse import parse_in_child
from templates_xlsx.safety import Refused, precheck
from tests.templates_xlsx.test_corpus import good
from tests.templates_xlsx.test_isolation import limits
from tests.templates_xlsx.workbooks import sheet_xml, with_sheet, write

REGULAR = re.compile(r'<c[ \t\r\n]r="([A-Z]{1,3}[1-9][0-9]{0,6})"')
CELL = re.compile(r"<c(?![\w.:-])")  # `<cr` or `<col` is another element


def checked(tmp_path, cells: str, **changes) -> str:
    """The pre-check's verdict on the template with these rows as its sheet data."""
    path = write(tmp_path, "x.xlsx", with_sheet(good(), sheet_xml(cells)))
    try:
        precheck(path, limits(**changes))
    except Refused as refused:
        return refused.reason
    return "pass"


SPACES = st.sampled_from([" ", "\t", "\n", "  ", "", ">", "/"])
REF_TEXT = st.text(alphabet="ABCXZaxz0123456789$\"' ", max_size=12)


@given(st.lists(st.tuples(SPACES, st.sampled_from(['r="', "r='", 's="1" r="']), REF_TEXT)))
def test_the_numpy_pass_reads_every_tag_as_a_plain_reading_does(tags):
    piece = "".join(
        f'<row r="1"><c{space}{attr}{ref}"><v>1</v></c></row>' for space, attr, ref in tags
    )
    cells = scan_cells(piece.encode())
    plain = [REGULAR.match(piece, start) for start in (int(s) for s in cells.starts)]
    assert cells.starts.tolist() == [m.start() for m in CELL.finditer(piece)]
    assert [bool(m) for m in plain] == cells.regular.tolist()
    far = cells.beyond(50, 200_001).tolist()
    for match, is_far in zip(plain, far, strict=True):
        if match:
            column, row = parse_ref(match[1])
            assert is_far == (column > 50 or row > 200_001)


@pytest.mark.parametrize(
    ("ref", "far"),
    [("AX200001", False), ("AY2", True), ("A200002", True), ("Z999999", True), ("AX9", False)],
)
def test_references_at_the_limits_are_read_as_numbers(ref, far):
    cells = scan_cells(f'<c r="{ref}"><v>1</v></c>'.encode())
    assert cells.all_regular
    assert cells.beyond(50, 200_001).tolist() == [far]


def test_other_elements_starting_with_c_are_not_cells():
    piece = b'<cols><col min="1"/></cols><cfRule type="x"/><c.x r="XFD1"/><c r="A1"/>'
    assert len(scan_cells(piece).starts) == 1


@pytest.mark.parametrize(
    ("cells", "code"),
    [
        ('<row r="2"><c r="xfd2"><v>1</v></c></row>', "shape"),  # calamine reads lower case
        ('<row r="2"><c r="a1048000"><v>1</v></c></row>', "shape"),
        ('<row r="2"><c r="AAAA2"><v>1</v></c></row>', "shape"),  # four letters
        ('<row r="2"><c r="A01048000"><v>1</v></c></row>', "shape"),  # a leading zero
        ('<row r="2"><c r="A12345678"><v>1</v></c></row>', "shape"),  # eight digits
        ('<row r="2"><c t="n" r="XFD2"><v>1</v></c></row>', "shape"),  # r not first
        ('<row r="2"><c\tr="XFD2"><v>1</v></c></row>', "shape"),
        ('<row r="2"><c xmlns="urn:x" r="XFD2"><v>1</v></c></row>', "shape"),
        ('<row r="2"><c r="$A$1"><v>1</v></c></row>', "bad_xml"),  # no reader places it
        ('<row r="2"><c r="A0"><v>1</v></c></row>', "bad_xml"),
        ('<row r="1048000"><c><v>1</v></c></row>', "shape"),  # placed by its row
        ('<row r="2"><c r="AX200001"><v>1</v></c></row>', "pass"),
    ],
)
def test_irregular_and_far_references_are_refused_as_calamine_would_read_them(
    tmp_path, cells, code
):
    assert checked(tmp_path, cells) == code


def _rows(count: int) -> str:
    return "".join(
        f'<row r="{n}"><c r="A{n}" t="inlineStr"><is><t>{n:08d}</t></is></c>'
        f'<c r="B{n}"><v>1</v></c></row>'
        for n in range(2, count + 2)
    )


@pytest.mark.parametrize("last", ['<c r="A3000000">', '<c r="AZ9">', '<c r="xfd9">'])
def test_a_far_cell_late_in_a_large_sheet_is_refused(tmp_path, last):
    rows = _rows(30_000)  # several MB, read in many pieces
    cells = rows + f'<row r="9">{last}<v>1</v></c></row>'
    assert len(sheet_xml(cells)) > 2 * safety.CHUNK
    assert checked(tmp_path, cells) == "shape"
    assert checked(tmp_path, rows) == "pass"


def test_a_doctype_in_the_middle_of_a_sheet_is_refused(tmp_path):
    rows = _rows(10_000)
    assert checked(tmp_path, rows + '<!DOCTYPE x [<!ENTITY a "b">]>' + rows) == "dtd"


@pytest.mark.parametrize("whole", [True, False])
@pytest.mark.parametrize("mark", [b"<!DOCTYPE", b"<!ENTITY"])
@pytest.mark.parametrize("split", range(1, 9))
def test_a_declaration_split_across_read_pieces_is_found(monkeypatch, whole, mark, split):
    # no boundary for longer than MAX_TAG_RUN: the part is cut anywhere, here inside `mark`
    monkeypatch.setattr(safety, "MAX_TAG_RUN", 64)
    chunks = [b"x" * 100 + mark[:split], mark[split:] + b" x>", b"<a/>"]
    with pytest.raises(Refused) as refused:
        for piece in safety._guarded(iter(chunks), "p", whole_dtd_check=whole):
            if not whole and scan_cells(piece).declarations:
                safety._guard(piece, "p")
    assert refused.value.reason == "dtd"


@pytest.mark.parametrize("split", [1, 4, 8])
def test_a_doctype_split_across_sheet_pieces_is_refused(tmp_path, monkeypatch, split):
    # Output comes in CHUNK pieces; with no `>` for MAX_TAG_RUN bytes the second piece is
    # cut at its end, which here falls inside `<!DOCTYPE` (and no `<!ENTITY` follows).
    monkeypatch.setattr(safety, "CHUNK", 1 << 12)
    monkeypatch.setattr(safety, "MAX_TAG_RUN", 1 << 12)
    head = len(sheet_xml("").split(b"<sheetData>")[0]) + len("<sheetData>")
    filler = "x" * (2 * (1 << 12) - head - split)
    assert checked(tmp_path, filler + "<!DOCTYPE x>") == "dtd"
    assert checked(tmp_path, filler + "<!DOCTYP x>") == "pass"


def test_the_parse_child_drops_empty_rows_and_keeps_excel_row_numbers(tmp_path):
    cells = (
        '<row r="1"><c r="A1" t="inlineStr"><is><t>Order</t></is></c>'
        '<c r="B1" t="inlineStr"><is><t>Line</t></is></c></row>'
        '<row r="2"><c r="A2" t="inlineStr"><is><t>007</t></is></c><c r="B2"><v>1</v></c></row>'
        '<row r="4"><c r="A4" t="inlineStr"><is><t>008</t></is></c><c r="B4"><v>2</v></c></row>'
    )
    path = write(tmp_path, "x.xlsx", with_sheet(good(), sheet_xml(cells)))
    parsed = parse_in_child(path, "order_changes", "_marker", limits())
    assert parsed.row_numbers == [2, 4]
    assert parsed.columns == [["007", "008"], [1.0, 2.0]]
    full = cells.replace(
        '<row r="4">', '<row r="3"><c r="A3" t="inlineStr"><is><t>9</t></is></c></row><row r="4">'
    )
    parsed = parse_in_child(
        write(tmp_path, "y.xlsx", with_sheet(good(), sheet_xml(full))),
        "order_changes",
        "_marker",
        limits(),
    )
    assert parsed.row_numbers == [2, 3, 4]


def _column_a(first: int, last: int) -> str:
    return "".join(f'<row r="{n}"><c r="A{n}"><v>1</v></c></row>' for n in range(first, last + 1))


def refusal(tmp_path, cells: str, **changes) -> str:
    path = write(tmp_path, "x.xlsx", with_sheet(good(), sheet_xml(cells)))
    with pytest.raises(Refused) as refused:
        precheck(path, limits(**changes))
    return refused.value.message


def test_a_sheet_filled_far_down_is_refused_naming_its_whole_extent(tmp_path):
    # Excel's whole sheet: 1,048,576 rows; the first far row is not what the user must delete
    message = refusal(tmp_path, _column_a(2, 1_048_576))
    assert "cells out to A1048576;" in message
    assert "A200002" not in message


@pytest.mark.parametrize(
    ("cells", "extent"),
    [
        (_rows(500) + '<row r="900"><c r="C900"><v>1</v></c></row>', "C900"),  # regular cells
        ('<row r="2"><c r="AZ2"><v>1</v></c></row>' + _column_a(3, 301), "AZ301"),  # wide
        ('<row r="2"><c><v>1</v></c></row>' + _rows(400), "B401"),  # the exact pass
    ],
)
def test_the_extent_named_is_the_furthest_row_and_column(tmp_path, cells, extent):
    assert f"cells out to {extent};" in refusal(tmp_path, cells, max_rows=100)


@pytest.mark.parametrize(
    "raw", [b"Order,Line\n00000123,1\n", bytes(range(256)) * 4, b"%PDF-1.7\n\x00\x01"]
)
def test_a_file_that_is_not_a_workbook_is_refused_in_whole_sentences(tmp_path, raw):
    path = tmp_path / "orders.xlsx"
    path.write_bytes(raw)
    with pytest.raises(Refused) as refused:
        precheck(path, limits())
    message = refused.value.message
    assert message.startswith("The file is not an Excel workbook.")
    assert message.endswith(".")
    sentences = re.split(r"(?<=\.) ", message)
    assert all(sentence[0].isupper() for sentence in sentences), message
