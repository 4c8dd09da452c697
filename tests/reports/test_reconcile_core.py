from __future__ import annotations

from decimal import Decimal

from reports.reconcile_core import Tolerances, as_people_see_it, from_decimal, reconcile


def orders(*rows):
    keys = ("order_number", "line_no", "sku", "currency", "quantity_milli", "price_e4")
    return {k: [r[i] for r in rows] for i, k in enumerate(keys)}


def shipments(*rows):
    keys = ("order_number", "line_no", "quantity_milli", "shipment_number", "ship_day")
    data = {k: [r[i] for r in rows] for i, k in enumerate(keys)}
    data["delivered"] = [r[5] if len(r) > 5 else False for r in rows]
    data["has_pod"] = [r[6] if len(r) > 6 else False for r in rows]
    return data


def invoices(*rows):
    keys = ("order_number", "line_no", "quantity_milli", "price_e4", "currency", "invoice_number")
    return {k: [r[i] for r in rows] for i, k in enumerate(keys)}


Q, P = 1000, 10000  # one unit, one currency unit


def classes_of(result):
    return {
        name: [(r["order_number"], r["line_no"]) for r in rows]
        for name, rows in result.classes.items()
        if rows
    }


def test_a_clean_order_has_no_discrepancy_and_its_values_add_up():
    result = reconcile(
        orders(("SO-1", 1, "00042", "USD", 10 * Q, 5 * P)),
        shipments(("SO-1", 1, 10 * Q, "SH-1", 100, True, True)),
        invoices(("SO-1", 1, 10 * Q, 5 * P, "USD", "INV-1")),
        with_lines=True,
    )
    assert classes_of(result) == {}
    (total,) = result.summary
    assert (total["order_value"], total["shipped_value"], total["invoiced_value"]) == (
        5000,
        5000,
        5000,
    )
    assert total["difference"] == 0 and len(result.lines) == 1


def test_each_class_is_found_with_its_amount():
    result = reconcile(
        orders(
            ("SO-1", 1, "A", "USD", 10 * Q, 5 * P),  # invoiced 11 of 10 shipped
            ("SO-2", 1, "B", "EUR", 2 * Q, 100 * P),  # billed at 105
            ("SO-3", 1, "C", "USD", 3 * Q, 7 * P),  # shipped, never billed
            ("SO-4", 1, "D", "USD", 1 * Q, 9 * P),  # billed, never shipped
        ),
        shipments(
            ("SO-1", 1, 10 * Q, "SH-1", 100, True, True),
            ("SO-2", 1, 2 * Q, "SH-2", 100, True, False),  # no proof of delivery
            ("SO-3", 1, 3 * Q, "SH-3", 100),
            ("SO-9", 1, 1 * Q, "SH-9", 100),  # no order line at all
        ),
        invoices(
            ("SO-1", 1, 11 * Q, 5 * P, "USD", "INV-1"),
            ("SO-2", 1, 2 * Q, 105 * P, "EUR", "INV-2"),
            ("SO-4", 1, 1 * Q, 9 * P, "USD", "INV-4"),
        ),
        Tolerances(as_of_day=110, invoice_grace_days=3),
    )
    assert classes_of(result) == {
        "missing_in_system": [("SO-9", 1)],
        "quantity_mismatch": [("SO-1", 1)],
        "price_mismatch": [("SO-2", 1)],
        "shipped_not_invoiced": [("SO-3", 1), ("SO-9", 1)],
        "invoiced_not_shipped": [("SO-4", 1)],
        "delivered_without_pod": [("SO-2", None)],
    }
    amounts = {n: as_people_see_it(rows[0])["amount"] for n, rows in result.classes.items() if rows}
    assert amounts["quantity_mismatch"] == Decimal("5.00")
    assert amounts["price_mismatch"] == Decimal("10.00")
    assert amounts["shipped_not_invoiced"] == Decimal("21.00")
    assert amounts["invoiced_not_shipped"] == Decimal("9.00")
    assert amounts["delivered_without_pod"] == Decimal("200.00")


def test_price_tolerance_and_invoice_grace_are_respected():
    result = reconcile(
        orders(("SO-1", 1, "A", "USD", 1 * Q, 5 * P), ("SO-2", 1, "B", "USD", 1 * Q, 5 * P)),
        shipments(("SO-1", 1, 1 * Q, "SH-1", 100), ("SO-2", 1, 1 * Q, "SH-2", 109)),
        invoices(("SO-1", 1, 1 * Q, 5 * P + 100, "USD", "INV-1")),  # one cent off
        Tolerances(price_e4=100, as_of_day=110, invoice_grace_days=3),
    )
    assert classes_of(result) == {}


def test_salesforce_and_the_erp_are_compared_only_when_both_views_are_given():
    both = orders(
        ("SO-1", 1, "A", "USD", Q, P), ("SO-2", 1, "B", "USD", Q, P), ("SO-3", 1, "C", "USD", Q, P)
    )
    both["sf_status"] = ["active", None, "active"]
    both["erp_status"] = ["cancelled", "active", "active"]
    result = reconcile(both, shipments(), invoices())
    assert classes_of(result) == {
        "missing_in_system": [("SO-2", 1)],
        "status_mismatch": [("SO-1", None)],
    }
    assert result.classes["missing_in_system"][0]["note"] == "order not in Salesforce"
    one = orders(("SO-2", 1, "B", "USD", Q, P))
    assert classes_of(reconcile(one, shipments(), invoices())) == {}


def test_money_is_exact_at_the_edges():
    assert from_decimal(Decimal("12.3456"), 4) == 123456
    assert as_people_see_it({"amount": 12345, "order_price": 123456, "shipped_qty": 1500}) == {
        "amount": Decimal("123.45"),
        "order_price": Decimal("12.3456"),
        "shipped_qty": Decimal("1.500"),
    }


def test_several_shipments_and_invoices_of_a_line_are_summed_in_any_order():
    result = reconcile(
        orders(("SO-1", 1, "A", "USD", 10 * Q, 5 * P), ("SO-2", 1, "B", "USD", 2 * Q, P)),
        shipments(
            ("SO-2", 1, 2 * Q, "SH-3", 100),
            ("SO-1", 1, 6 * Q, "SH-2", 100),
            ("SO-1", 1, 4 * Q, "SH-1", 101),
        ),  # fmt: skip
        invoices(
            ("SO-1", 1, 6 * Q, 5 * P, "USD", "INV-2"),
            ("SO-2", 1, 2 * Q, P, "USD", "INV-3"),
            ("SO-1", 1, 5 * Q, 5 * P, "USD", "INV-1"),  # one unit more than shipped
        ),
        with_lines=True,
    )
    assert classes_of(result) == {"quantity_mismatch": [("SO-1", 1)]}
    (row,) = result.classes["quantity_mismatch"]
    assert (row["shipped_qty"], row["invoiced_qty"], row["amount"]) == (10 * Q, 11 * Q, 500)
    assert row["reference"] == "SH-1 INV-1"
    assert [line["shipped_qty"] for line in result.lines] == [10 * Q, 2 * Q]


def test_a_shipment_line_without_an_order_line_number_is_missing_in_system():
    result = reconcile(
        orders(("SO-1", 1, "A", "USD", Q, P)),
        shipments(("SO-1", 1, Q, "SH-1", 100), ("SO-1", None, Q, "SH-2", 100)),
        invoices(("SO-1", 1, Q, P, "USD", "INV-1")),
    )
    assert classes_of(result) == {
        "missing_in_system": [("SO-1", None)],
        "shipped_not_invoiced": [("SO-1", None)],
    }
