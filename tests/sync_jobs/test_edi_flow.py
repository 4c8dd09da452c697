"""edi_inbound and edi_outbound against the sandbox ERP: a retailer's POs become ERP orders
through the order checks, 997s go back, and 855s follow; what cannot be read or mapped is
refused by name, and nothing is processed twice."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import select

from connectors import get_connector
from connectors.edi import x12
from core.store import models as m
from core.store import session_scope
from tests.sync_jobs import edi_world as edi
from tests.sync_jobs.flows import Flows, make_flows


@pytest.fixture
def flows(make_settings) -> Iterator[Flows]:
    """The sandbox without its retailer's own files: each test drops what it needs."""
    for flows in make_flows(make_settings):
        for path in edi.folder(flows.settings, "inbound").iterdir():
            path.unlink()
        yield flows


def ready(flows: Flows) -> list[edi.Line]:
    assert flows.run("pull_master_data").status == "completed"
    return edi.priced_items(flows.settings.database_url)


def in_erp(flows: Flows, po: str):
    """The ERP's order for the PO, read back through the connector."""
    key = f"EDI-beacon-{po}"
    found = get_connector("netsuite", flows.settings).read("order", [key])
    return next((o for o in found if o.external_id == key), None)


def docs(flows: Flows, **where) -> list[m.EdiDocument]:
    return flows.rows(m.EdiDocument, **where)


def ack_codes(tset: x12.TransactionSet) -> list[str]:
    return [s.element(1) for s in tset.body if s.tag in ("AK5", "AK9")]


def test_a_po_becomes_an_erp_order_and_is_acknowledged(flows: Flows) -> None:
    lines = ready(flows)
    path = edi.drop(flows.settings, "po1.x12", edi.interchange_of(
        101, [("850", edi.po_body("4500000001", lines)), ("850", edi.po_body("4500000002",
              lines[:1], store="0102"))]))  # fmt: skip
    outcome = flows.run("edi_inbound")
    assert outcome.status == "completed", outcome.summary
    assert not path.exists() and (edi.folder(flows.settings, "archive") / "po1.x12").exists()
    erp = in_erp(flows, "4500000001")
    assert erp is not None and [line.sku for line in erp.lines] == [x.sku for x in lines]
    assert [line.quantity.value for line in erp.lines] == [x.quantity for x in lines]
    assert in_erp(flows, "4500000002") is not None
    (stored,) = flows.rows(m.Order, number="EDI-beacon-4500000001")
    assert stored.customer_number == "C00729" and stored.ship_to_code == "C00729-01"
    assert stored.erp_number and stored.ship_method == "UPS 03"
    (ack,) = edi.sent(flows.settings, "997")
    assert ack_codes(ack) == ["A", "A", "A"]
    assert {d.status for d in docs(flows, direction="in")} == {"accepted"}
    (received,) = flows.rows(m.EdiInterchange, direction="in")
    assert received.status == "acknowledged" and received.ack_id and received.processed_at

    outcome = flows.run("edi_outbound")
    assert outcome.status == "completed", outcome.summary
    answers = edi.sent(flows.settings, "855")
    assert len(answers) == 2
    bak = next(s for s in answers[0].body if s.tag == "BAK")
    assert bak.element(2) == "AD" and bak.element(3) in ("4500000001", "4500000002")
    out = docs(flows, direction="out", set_id="855")
    assert {d.status for d in out} == {"awaiting_997"} and all(d.ack_due_at for d in out)
    assert flows.run("edi_outbound").status == "completed"
    assert len(edi.sent(flows.settings, "855")) == 2  # sent once


def test_a_po_that_fails_the_checks_is_refused_by_name_and_answered_rejected(flows) -> None:
    lines = ready(flows)
    unknown = [*lines[:1], edi.Line("NO-SUCH-SKU", 1, "9.99")]
    edi.drop(flows.settings, "po2.x12", edi.interchange_of(102, [
        ("850", edi.po_body("4500000003", unknown)),
        ("850", edi.po_body("4500000004", lines[:1], store="7777")),
    ]))  # fmt: skip
    assert flows.run("edi_inbound").status == "completed"
    assert in_erp(flows, "4500000003") is None and in_erp(flows, "4500000004") is None
    errors = {e.business_key: e for e in flows.rows(m.RecordError, job_id="edi_inbound")}
    assert "line 2 SKU NO-SUCH-SKU: unknown SKU" in errors["EDI-beacon-4500000003"].message
    assert "store 7777 is not in the ship-to cross-reference" in errors[
        "EDI-beacon-4500000004"].message  # fmt: skip
    assert {d.status for d in docs(flows, direction="in")} == {"refused"}
    assert flows.run("edi_outbound").status == "completed"
    statuses = {next(s for s in t.body if s.tag == "BAK").element(2)
                for t in edi.sent(flows.settings, "855")}  # fmt: skip
    assert statuses == {"RJ"}


def test_an_unreadable_file_goes_to_error_with_its_reason(flows: Flows) -> None:
    ready(flows)
    edi.drop(flows.settings, "junk.x12", b"hello, this is not X12")
    assert flows.run("edi_inbound").status == "completed"
    error = edi.folder(flows.settings, "error")
    assert (error / "junk.x12").read_bytes() == b"hello, this is not X12"
    assert "not an X12 interchange" in (error / "junk.x12.reason.txt").read_text()
    (entry,) = flows.rows(m.RecordError, job_id="edi_inbound")
    assert "file:junk.x12 could not be read" in entry.message


def test_the_same_interchange_twice_is_acknowledged_twice_and_entered_once(flows) -> None:
    lines = ready(flows)
    text = edi.interchange_of(103, [("850", edi.po_body("4500000005", lines[:2]))])
    edi.drop(flows.settings, "a.x12", text)
    assert flows.run("edi_inbound").status == "completed"
    edi.drop(flows.settings, "a-again.x12", text)
    assert flows.run("edi_inbound").status == "completed"
    assert flows.stats("netsuite")["duplicates"]["salesOrder"] == 0
    assert len(docs(flows, direction="in", set_id="850")) == 1
    assert len(edi.sent(flows.settings, "997")) == 2
    (row,) = flows.rows(m.EdiInterchange, direction="in")
    assert "received again as file:a-again.x12" in row.error


def test_a_po_number_in_a_new_interchange_is_a_possible_duplicate(flows: Flows) -> None:
    lines = ready(flows)
    edi.drop(flows.settings, "b1.x12", edi.interchange_of(
        104, [("850", edi.po_body("4500000006", lines[:1]))]))  # fmt: skip
    edi.drop(flows.settings, "b2.x12", edi.interchange_of(
        105, [("850", edi.po_body("4500000006", lines[:2]))]))  # fmt: skip
    assert flows.run("edi_inbound").status == "completed"
    later = max(docs(flows, direction="in", set_id="850"), key=lambda d: d.id)
    assert later.duplicate_of
    (case,) = flows.rows(m.OpsException, kind="edi_possible_duplicate")
    assert case.business_key == "beacon/4500000006" and case.owner == "coordinator"
    assert flows.stats("netsuite")["duplicates"]["salesOrder"] == 0


def test_a_set_with_a_bad_count_is_rejected_in_the_997_and_not_entered(flows) -> None:
    lines = ready(flows)
    text = edi.interchange_of(
        106,
        [
            ("850", edi.po_body("4500000007", lines[:1])),
            ("850", edi.po_body("4500000008", lines[:1])),
        ],
    )
    first_se = text.index("SE*")
    count_end = text.index("*", first_se + 3)
    text = text[: first_se + 3] + "99" + text[count_end:]
    edi.drop(flows.settings, "c.x12", text)
    assert flows.run("edi_inbound").status == "completed"
    (ack,) = edi.sent(flows.settings, "997")
    assert ack_codes(ack) == ["R", "A", "P"]
    assert in_erp(flows, "4500000007") is None and in_erp(flows, "4500000008") is not None


def test_997s_received_settle_what_we_sent_and_late_ones_are_exceptions(flows) -> None:
    lines = ready(flows)
    edi.drop(flows.settings, "d.x12", edi.interchange_of(
        107, [("850", edi.po_body("4500000009", lines[:1])),
              ("850", edi.po_body("4500000010", lines[:1]))]))  # fmt: skip
    assert flows.run("edi_inbound").status == "completed"
    assert flows.run("edi_outbound").status == "completed"
    first, second = sorted(docs(flows, direction="out", set_id="855"), key=lambda d: d.id)
    body = [["AK1", "PR", first.gs_control], ["AK2", "855", first.st_control], ["AK5", "A"],
            ["AK9", "A", "1", "1", "1"]]  # fmt: skip
    edi.drop(flows.settings, "997a.x12", edi.interchange_of(108, [("997", body)], "FA"))
    body = [
        ["AK1", "PR", second.gs_control],
        ["AK2", "855", second.st_control],
        ["AK3", "BAK", "2", "", "8"],
        ["AK5", "R", "5"],
        ["AK9", "R", "1", "1", "0"],
    ]
    edi.drop(flows.settings, "997b.x12", edi.interchange_of(109, [("997", body)], "FA"))
    assert flows.run("edi_inbound").status == "completed"
    first, second = sorted(docs(flows, direction="out", set_id="855"), key=lambda d: d.id)
    assert (first.status, first.ack_code) == ("acknowledged", "A")
    assert (second.status, second.ack_code) == ("rejected", "R") and "BAK" in second.error
    (case,) = flows.rows(m.OpsException, kind="edi_997_rejected")
    assert case.order_number == second.order_number
    assert len(edi.sent(flows.settings, "997")) == 1  # a 997 is not acknowledged

    with session_scope(flows.settings.database_url) as session:
        doc = session.scalars(select(m.EdiDocument).filter_by(id=first.id)).one()
        doc.status, doc.ack_due_at = "awaiting_997", doc.at  # due already
    assert flows.run("edi_outbound").status == "completed"
    (late,) = flows.rows(m.OpsException, kind="edi_ack_late")
    assert late.business_key == f"beacon/{first.id}" and "no 997 from beacon" in late.message


def test_a_po_change_goes_the_order_change_path_and_reaches_the_erp(flows) -> None:
    lines = ready(flows)
    edi.drop(flows.settings, "e.x12", edi.interchange_of(
        110, [("850", edi.po_body("4500000011", lines))]))  # fmt: skip
    assert flows.run("edi_inbound").status == "completed"
    change = [["BCH", "04", "SA", "4500000011", "", "", "20260302"],
              ["POC", "10", "QI", "7", "", "EA"], ["POC", "20", "DI", "0", "", "EA"],
              ["CTT", "2"]]  # fmt: skip
    edi.drop(flows.settings, "f.x12", edi.interchange_of(111, [("860", change)], "PC"))
    outcome = flows.run("edi_inbound")
    assert outcome.status == "completed", outcome.summary
    (upload,) = flows.rows(m.Upload, kind="order_changes")
    assert upload.status == "approved" and upload.approved_by == "edi:beacon"
    assert flows.run("apply_uploads").status == "completed"
    erp = in_erp(flows, "4500000011")
    by_line = {line.line_no: line for line in erp.lines}
    assert by_line[1].quantity.value == 7
    assert by_line[2].status in ("cancelled", "closed")
    (doc,) = docs(flows, direction="in", set_id="860")
    assert doc.status == "changed" and doc.order_number == "EDI-beacon-4500000011"


def test_shipments_and_invoices_of_a_po_are_sent_as_856_and_810(flows) -> None:
    from decimal import Decimal

    from connectors.edi import gs1
    from connectors.edi.sets import asn856, inv810

    lines = ready(flows)
    edi.drop(flows.settings, "g.x12", edi.interchange_of(
        112, [("850", edi.po_body("4500000012", lines[:2]))]))  # fmt: skip
    assert flows.run("edi_inbound").status == "completed"
    number = "EDI-beacon-4500000012"
    with session_scope(flows.settings.database_url) as session:
        session.add(m.Shipment(number="SHP-1", order_number=number, carrier="ups",
                               service="03", tracking_number="1Z999", source_system="threepl",
                               source_key="SHP-1"))  # fmt: skip
        session.add(m.Invoice(number="INV-1", order_number=number, customer_number="C00729",
                              freight=Decimal("12.50"), source_system="netsuite",
                              source_key="INV-1"))  # fmt: skip
        for n, line in enumerate(lines[:2], start=1):
            session.add(m.ShipmentLine(shipment_number="SHP-1", order_line_no=n, sku=line.sku,
                                       quantity=Decimal(line.quantity)))  # fmt: skip
            session.add(m.InvoiceLine(invoice_number="INV-1", line_no=n, order_line_no=n,
                                      sku=line.sku, quantity=Decimal(line.quantity),
                                      unit_price=Decimal(line.price)))  # fmt: skip
    outcome = flows.run("edi_outbound")
    assert outcome.status == "completed", outcome.summary
    (notice,) = edi.sent(flows.settings, "856")
    read = asn856.parse(notice)
    assert read.po_number == "4500000012" and read.scac == "UPSN"
    ((sscc, contents),) = read.packs
    assert gs1.is_valid(sscc) and [q for _, q in contents] == [2, 3]
    assert [line_id for line_id, _ in contents] == ["10", "20"]
    (invoice,) = edi.sent(flows.settings, "810")
    billed = inv810.parse(invoice)
    expected = sum(Decimal(x.price) * x.quantity for x in lines[:2]) + Decimal("12.50")
    assert billed.total_cents == int(expected * 100) and billed.po_number == "4500000012"
