"""Preview and diff, approval, recording, work items, idempotency, revert, export round trip
and the results workbook."""

from __future__ import annotations

from decimal import Decimal

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from core.store import session_scope
from core.store.models import AuditLog, Upload, UploadRow
from templates_xlsx.check import check_upload
from templates_xlsx.export import export_workbook
from templates_xlsx.preview import (
    ApprovalError,
    approve,
    needs_approval,
    preview,
    record_upload,
    revert_rows,
    row_version,
    upload_rows,
    work_items,
)
from templates_xlsx.writeback import ERRORS_SHEET, write_results
from tests.templates_xlsx.workbooks import (
    ORDER_ROW,
    PRICE_ROW,
    SHIP_TO_ROW,
    TODAY,
    edited,
    seed_store,
    workbook_bytes,
    write,
)


@pytest.fixture
def settings(make_settings, db_url):
    seed_store(db_url)
    return make_settings()


def test_preview_shows_a_field_level_diff_against_the_store(settings, tmp_path):
    path = write(tmp_path, "o.xlsx", workbook_bytes("order_changes", [ORDER_ROW]))
    shown = preview(settings, "order_changes", path, today=TODAY)
    (change,) = shown.changes
    assert change.row == 2 and change.business_key == "00000123/1"
    assert change.fields["quantity"] == (Decimal("10"), Decimal("12"))
    assert change.fields["ship_to"] == ("001", "002")
    assert "item" not in change.fields
    assert shown.counts == {
        "rows": 1,
        "invalid": 0,
        "valid": 1,
        "changed": 1,
        "new": 0,
        "unchanged": 0,
    }


def test_actions_appear_in_the_diff(settings, tmp_path):
    rows = [
        {"order": "00000123", "line": 1, "action": "hold"},
        {"order": "00000123", "line": 2, "action": "cancel"},
    ]
    shown = preview(
        settings,
        "order_changes",
        write(tmp_path, "a.xlsx", workbook_bytes("order_changes", rows)),
        today=TODAY,
    )
    assert [c.fields for c in shown.changes] == [
        {"on_hold": (False, True)},
        {"status": ("open", "cancelled")},
    ]


@pytest.mark.parametrize("kind", ["order_changes", "price_list", "ship_tos"])
def test_an_unchanged_export_passes_its_own_check_and_changes_nothing(kind, settings, tmp_path):
    out = tmp_path / f"{kind}.xlsx"
    assert export_workbook(settings, kind, out) > 0
    shown = preview(settings, kind, out, today=TODAY)
    assert shown.check.status == "valid", shown.check.to_json()
    assert shown.changes == [] and shown.unchanged == shown.check.rows


def test_export_filters_by_customer_and_item(settings, tmp_path):
    assert export_workbook(settings, "ship_tos", tmp_path / "a.xlsx", customer="C002") == 1
    assert export_workbook(settings, "order_changes", tmp_path / "b.xlsx", item="SKU-9") == 1
    assert export_workbook(settings, "order_changes", tmp_path / "c.xlsx", customer="C002") == 0


def test_exports_keep_formula_looking_text_as_text(settings, tmp_path):
    with session_scope(settings.database_url) as session:
        from core.store.models import ShipTo

        ship_to = session.scalars(select(ShipTo).where(ShipTo.code == "002")).one()
        ship_to.name = '=HYPERLINK("http://x")'
    out = tmp_path / "s.xlsx"
    export_workbook(settings, "ship_tos", out)
    cell = load_workbook(out)["ship_tos"]["C3"]
    assert cell.value == '=HYPERLINK("http://x")' and cell.data_type == "s" and cell.quotePrefix


def test_a_price_change_beyond_the_threshold_needs_a_second_steward(settings, tmp_path):
    rows = [PRICE_ROW | {"unit_price": Decimal("12.00")}]
    shown = preview(
        settings,
        "price_list",
        write(tmp_path, "p.xlsx", workbook_bytes("price_list", rows)),
        today=TODAY,
    )
    reason = needs_approval(shown, settings)
    assert reason and "20.0%" in reason and "SKU-1" in reason
    assert (
        needs_approval(shown, settings.replace(uploads__price_change_approval_percent=25)) is None
    )
    with session_scope(settings.database_url) as session:
        upload = record_upload(session, shown, settings, actor="steward", filename="p.xlsx")
        assert upload.status == "pending_approval"
        with pytest.raises(ApprovalError):
            approve(session, upload, "steward")
        approve(session, upload, "steward2")
        rows = upload_rows(session, upload)
        assert work_items(upload, rows) == [
            (
                "SKU-1/LIST/USD/0/2026-01-01",
                {
                    "key": {
                        "currency": "USD",
                        "effective_from": "2026-01-01",
                        "item": "SKU-1",
                        "min_quantity": "0",
                        "price_level": "LIST",
                    },
                    "set": {"unit_price": "12"},
                },
            )
        ]
        assert revert_rows(upload, rows)[0][1]["set"] == {"unit_price": "10"}


def test_a_new_price_entry_shows_the_price_it_replaces_and_reverts_by_deleting(settings, tmp_path):
    rows = [PRICE_ROW | {"effective_from": TODAY.replace(month=6), "unit_price": Decimal("10.40")}]
    data = workbook_bytes("price_list", rows)
    # the stored entry runs open-ended from January, so close it in the same upload
    data_rows = [
        PRICE_ROW
        | {"unit_price": Decimal("10.00"), "effective_to": TODAY.replace(month=5, day=31)},
        *rows,
    ]
    data = workbook_bytes("price_list", data_rows)
    shown = preview(settings, "price_list", write(tmp_path, "n.xlsx", data), today=TODAY)
    assert shown.check.status == "valid", shown.check.to_json()
    new = next(c for c in shown.changes if c.fields.get("effective_from"))
    assert new.fields["unit_price"] == (Decimal("10.00"), Decimal("10.40"))
    assert needs_approval(shown, settings) is None
    with session_scope(settings.database_url) as session:
        upload = record_upload(session, shown, settings, actor="steward", filename="n.xlsx")
        approve(session, upload, "steward")
        inverse = dict(revert_rows(upload, upload_rows(session, upload)))
    assert inverse["SKU-1/LIST/USD/0/2026-06-01"]["delete"] is True


def test_the_same_rows_uploaded_twice_have_one_key_and_one_version(settings, tmp_path):
    data = workbook_bytes("order_changes", [ORDER_ROW])
    first = preview(settings, "order_changes", write(tmp_path, "1.xlsx", data), today=TODAY)
    again = preview(settings, "order_changes", write(tmp_path, "2.xlsx", data), today=TODAY)
    assert first.idempotency_key == again.idempotency_key
    with session_scope(settings.database_url) as session:
        a = record_upload(session, first, settings, actor="c", filename="1.xlsx")
        b = record_upload(session, again, settings, actor="c", filename="2.xlsx")
        approve(session, a, "c")
        approve(session, b, "c")
        versions = {
            row_version(key, payload)
            for upload in (a, b)
            for key, payload in work_items(upload, upload_rows(session, upload))
        }
    assert len(versions) == 1


def test_order_changes_revert_to_the_before_image(settings, tmp_path):
    rows = [ORDER_ROW, {"order": "00000123", "line": 2, "action": "hold"}]
    shown = preview(
        settings,
        "order_changes",
        write(tmp_path, "r.xlsx", workbook_bytes("order_changes", rows)),
        today=TODAY,
    )
    with session_scope(settings.database_url) as session:
        upload = record_upload(session, shown, settings, actor="c", filename="r.xlsx")
        approve(session, upload, "c")
        inverse = dict(revert_rows(upload, upload_rows(session, upload)))
    assert inverse["00000123/1"]["set"] == {
        "quantity": "10",
        "requested_date": "2026-02-01",
        "ship_to": "001",
        "ship_method": None,
    }
    assert inverse["00000123/2"]["action"] == "release"


def test_an_invalid_upload_cannot_be_recorded_and_writes_nothing(settings, tmp_path):
    data = workbook_bytes("order_changes", [ORDER_ROW | {"order": "99999999"}])
    shown = preview(settings, "order_changes", write(tmp_path, "x.xlsx", data), today=TODAY)
    with session_scope(settings.database_url) as session, pytest.raises(ApprovalError):
        record_upload(session, shown, settings, actor="c", filename="x.xlsx")
    with session_scope(settings.database_url) as session:
        counted = [
            session.scalar(select(func.count()).select_from(m))
            for m in (Upload, UploadRow, AuditLog)
        ]
    assert counted == [0, 0, 0]


def test_results_workbook_marks_cells_and_keeps_formats(settings, tmp_path):
    rows = [ORDER_ROW, ORDER_ROW | {"line": 2, "quantity": Decimal("-1")}]
    source = write(tmp_path, "in.xlsx", workbook_bytes("order_changes", rows))
    result = check_upload(settings, "order_changes", source, today=TODAY)
    out = write_results(source, result, tmp_path / "out.xlsx")
    book = load_workbook(out)
    sheet = book["order_changes"]
    assert [c.value for c in sheet[1]][-2:] == ["Status", "Message"]
    assert sheet["J2"].value == "ok" and sheet["J3"].value == "error"
    assert "Quantity" in sheet["K3"].value
    assert sheet["E3"].comment is not None and sheet["E3"].fill.fgColor.rgb.endswith("FFC7CE")
    assert sheet["A2"].value == "00000123" and sheet["A2"].number_format == "@"
    assert sheet["F2"].number_format == "yyyy-mm-dd"
    errors = list(book[ERRORS_SHEET].iter_rows(min_row=2, values_only=True))
    assert errors[0][:5] == ("order_changes", 3, "Quantity", "E3", "out_of_range")
    again = check_upload(settings, "order_changes", out, today=TODAY)
    assert {e.code for e in again.errors} == {"out_of_range"}


def test_results_of_a_non_template_file_note_dropped_images(settings, tmp_path):
    from openpyxl.chart import BarChart, Reference

    def plain(workbook):
        workbook.remove(workbook["_orderbridge"])
        chart = BarChart()
        chart.add_data(Reference(workbook.worksheets[0], min_col=5, min_row=1, max_row=2))
        workbook.worksheets[0].add_chart(chart, "M2")

    source = write(tmp_path, "plain.xlsx", edited("ship_tos", [SHIP_TO_ROW], plain))
    result = check_upload(settings, "ship_tos", source, today=TODAY)
    assert result.status == "valid" and not result.template
    out = write_results(source, result, tmp_path / "out.xlsx")
    notes = [r[0] for r in load_workbook(out)[ERRORS_SHEET].iter_rows(values_only=True)]
    assert any(n and "not carried over" in n for n in notes)
