"""Pure mapping: canonical records to Salesforce field maps and back, and write results."""

from __future__ import annotations

from datetime import date, datetime, timezone
from decimal import Decimal

from connectors.salesforce import records as r
from core.records import Address, Money, Order, OrderLine, PriceListEntry, Quantity, ShipTo

EXT = "Orderbridge_Id__c"


def test_ship_to_is_a_child_account_linked_to_its_customer_by_external_id():
    ship_to = ShipTo(
        source_system="erp",
        source_key="9",
        customer_number="0042",
        code="DC-01",
        address=Address(name="Dock 1", lines=("1 Main St", "Gate 4"), city="Reno", country="US"),
    )
    row = r.build_ship_to(ship_to, EXT)
    assert row[EXT] == "0042:DC-01"
    assert row["Parent"] == {EXT: "0042"} and row["Type"] == "Ship-To"
    assert row["ShippingStreet"] == "1 Main St\nGate 4"
    back = r.parse_ship_to(
        {"Id": "001X", **row, "Parent": {"AccountNumber": "0042"}, "SystemModstamp": None}, EXT
    )
    assert back.customer_number == "0042" and back.code == "DC-01"
    assert back.address.lines == ("1 Main St", "Gate 4")


def test_price_entry_keeps_decimal_money_and_codes_as_text():
    entry = PriceListEntry(
        source_system="erp",
        source_key="p",
        sku="00123",
        price_level="WHOLESALE",
        unit_price=Money(Decimal("19.99"), "EUR"),
        min_quantity=Decimal("10"),
    )
    row = r.build_price(entry, EXT)
    assert row[EXT] == "WHOLESALE:00123:EUR:10"
    assert r.to_json(row).count("19.99") == 1
    parsed = r.parse_price(
        {
            "Id": "01u",
            "Product2": {"ProductCode": "00123"},
            "Pricebook2": {"Name": "WHOLESALE"},
            "UnitPrice": Decimal("19.99"),
            "CurrencyIsoCode": "EUR",
            "Min_Quantity__c": 10.0,
        },
        EXT,
    )
    assert parsed.unit_price == Money(Decimal("19.99"), "EUR") and parsed.sku == "00123"


def test_order_with_paged_subquery_lines_parses_sorted_by_line_number():
    row = {
        "Id": "801A",
        EXT: "SO-1",
        "OrderNumber": "00000100",
        "Account": {"AccountNumber": "0042"},
        "EffectiveDate": "2026-02-03",
        "CurrencyIsoCode": "USD",
        "Status": "Activated",
        "SystemModstamp": "2026-02-03T10:00:00.000+0000",
        "OrderItems": {
            "done": True,
            "records": [
                {
                    "Line_Number__c": 2.0,
                    "Product2": {"ProductCode": "B"},
                    "Quantity": 1.0,
                    "UnitPrice": 2,
                },
                {
                    "Line_Number__c": 1.0,
                    "Product2": {"ProductCode": "A"},
                    "Quantity": 5.0,
                    "UnitPrice": Decimal("3.50"),
                },
            ],
        },
    }
    order = r.parse_order(row, EXT)
    assert order.status == "open" and order.customer_number == "0042"
    assert [(x.line_no, x.sku, x.quantity.value) for x in order.lines] == [
        (1, "A", Decimal("5.0")),
        (2, "B", Decimal("1.0")),
    ]
    assert order.lines[0].unit_price == Money(Decimal("3.50"), "USD")


def test_order_items_reference_their_order_and_product_by_external_id():
    order = Order(source_system="erp", source_key="1", external_id="SO-1", customer_number="C1")
    line = OrderLine(1, "SKU-1", Quantity(Decimal("2")), Money(Decimal("5"), "USD"))
    row = r.build_order_item(order, line, EXT)
    assert (
        row[EXT] == "SO-1:1" and row["Order"] == {EXT: "SO-1"} and row["Product2"] == {EXT: "SKU-1"}
    )


def test_writeback_sets_erp_fields_on_the_order_by_id():
    update = r.OrderWriteBack(
        order_id="801A",
        synced_at=datetime(2026, 3, 1, 12, 0, 5, 250000, tzinfo=timezone.utc),
        erp_order_number="SO-77",
        status="shipped",
        tracking_numbers=("1Z1", "1Z2"),
    )
    row = r.build_order_writeback(update)
    assert row == {
        "Id": "801A",
        "ERP_Order_Number__c": "SO-77",
        "ERP_Status__c": "shipped",
        "Tracking_Numbers__c": "1Z1, 1Z2",
        "Last_Sync__c": "2026-03-01T12:00:05.250Z",
        "Sync_Error__c": "",
    }


def test_bulk_csv_flattens_relationships_and_marks_nulls():
    text = r.build_bulk_csv(
        [
            {EXT: "A", "Parent": {EXT: "P"}, "Active__c": True, "Note__c": None},
            {EXT: "B", "Qty__c": Decimal("1.50")},
        ]
    )
    assert text.splitlines() == [
        f"{EXT},Parent.{EXT},Active__c,Note__c,Qty__c",
        "A,P,true,#N/A,",
        "B,,,,1.50",
    ]


def test_bulk_error_text_splits_into_code_and_message():
    failed = (
        f'"sf__Id","sf__Error",{EXT}\n'
        f'"","REQUIRED_FIELD_MISSING:Required fields are missing: [Name]:Name --","A"\n'
    )
    [(key, result)] = r.parse_bulk_results("", failed, "", EXT).items()
    assert key == "A" and result.code == "REQUIRED_FIELD_MISSING"
    assert result.error_class == "missing"


def test_missing_parent_is_classed_missing_not_value():
    message = (
        "Foreign key external ID: 0042 not found for field Orderbridge_Id__c in entity Account"
    )
    assert r.error_class_of("INVALID_FIELD", message) == "missing"
    assert r.error_class_of("STRING_TOO_LONG") == "value"


def test_datetimes_from_salesforce_are_aware():
    assert r.parse_datetime("2011-07-07T00:37:00.000+0000") == datetime(
        2011, 7, 7, 0, 37, tzinfo=timezone.utc
    )
    assert r.parse_date("2010-01-01") == date(2010, 1, 1)
