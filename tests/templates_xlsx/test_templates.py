"""Templates are generated from the declarations, and their marker survives other writers."""

from __future__ import annotations

import io
import zipfile

import pytest
from openpyxl import load_workbook

from templates_xlsx import KINDS
from templates_xlsx.check import check_upload
from templates_xlsx.fields import Choice, Code, ExcelDate
from templates_xlsx.template import INSTRUCTIONS_SHEET, LISTS_SHEET, MARKER_SHEET, describe
from tests.templates_xlsx.workbooks import ROWS, TODAY, parts, seed_store, workbook_bytes
from tests.templates_xlsx.workbooks import write as write_file


@pytest.mark.parametrize("name", sorted(KINDS))
def test_template_follows_the_declaration(name):
    kind = KINDS[name]
    book = load_workbook(io.BytesIO(workbook_bytes(name)))
    assert book.sheetnames == [name, INSTRUCTIONS_SHEET, LISTS_SHEET, MARKER_SHEET]
    sheet = book[name]
    assert [c.value for c in sheet[1]] == [f.header for _, f in kind.fields]
    assert sheet.freeze_panes == "A2"
    lists = {
        str(dv.sqref).split(":")[0]
        for dv in sheet.data_validations.dataValidation
        if dv.type == "list"
    }
    for number, (_name, field) in enumerate(kind.fields, start=1):
        letter = sheet.cell(row=1, column=number).column_letter
        if isinstance(field, Code):
            assert sheet.column_dimensions[letter].number_format == "@"
        if isinstance(field, ExcelDate):
            assert sheet.column_dimensions[letter].number_format == "yyyy-mm-dd"
        if isinstance(field, Choice):
            assert f"{letter}2" in lists
    instructions = [r[0] for r in book[INSTRUCTIONS_SHEET].iter_rows(values_only=True)]
    assert all(field.header in instructions for _, field in kind.fields)
    assert book[MARKER_SHEET].sheet_state == "veryHidden"
    assert book[LISTS_SHEET].sheet_state == "hidden"


def test_rules_are_described_from_the_validators():
    fields = dict(KINDS["order_changes"].fields)
    assert describe(fields["order"]) == "required; text; at most 80 characters"
    assert describe(fields["quantity"]) == "optional; a number with at most 4 decimals; at least 0"


@pytest.mark.parametrize("state", ["veryHidden", "hidden", "visible"])
def test_marker_survives_a_save_by_another_writer(state, make_settings, db_url, tmp_path):
    """openpyxl resaves keep it very hidden; LibreOffice turns it into a hidden sheet."""
    seed_store(db_url)
    book = load_workbook(io.BytesIO(workbook_bytes("price_list", [ROWS["price_list"]])))
    book[MARKER_SHEET].sheet_state = state
    buffer = io.BytesIO()
    book.save(buffer)
    path = write_file(tmp_path, "resaved.xlsx", buffer.getvalue())
    result = check_upload(make_settings(), "price_list", path, today=TODAY)
    assert result.status == "valid" and result.template, result.to_json()


def test_a_foreign_template_is_refused_naming_the_template_to_use(make_settings, tmp_path):
    path = write_file(tmp_path, "s.xlsx", workbook_bytes("ship_tos"))
    result = check_upload(make_settings(), "price_list", path, today=TODAY)
    assert result.reason == "wrong_template"
    assert "ship_tos" in result.message and "price_list template" in result.message


def test_workbook_part_order_from_other_producers_is_fine(make_settings, db_url, tmp_path):
    """Parts in another order and with the XML prolog other writers add."""
    seed_store(db_url)
    data = workbook_bytes("price_list", [ROWS["price_list"]])
    content = parts(data)
    reordered = {name: content[name] for name in sorted(content, reverse=True)}
    prolog = b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    reordered = {n: (prolog + b if n.endswith(".xml") else b) for n, b in reordered.items()}
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, body in reordered.items():
            archive.writestr(name, body)
    path = write_file(tmp_path, "lo.xlsx", buffer.getvalue())
    assert check_upload(make_settings(), "price_list", path, today=TODAY).status == "valid"
