"""Sales and return orders read in one pass per line give exactly what field-by-name reading gave.

`previous_*` below is the reading the one-pass path replaced (a dict of children by local name
per record and per line), kept here as the oracle: on the reference replies, on a generated
page of every endpoint version with fields missing, empty, repeated, unknown or malformed, and
on a large regular page like the benchmark's, both give equal records or the same error.
"""

from __future__ import annotations

import gc
import random
from decimal import Decimal

import pytest
from lxml import etree

from connectors.netsuite import records, replies
from connectors.netsuite.connector import parse_page
from connectors.netsuite.records import (
    ORDER_STATUS,
    RETURN_STATUS,
    SYSTEM,
    ZERO,
    _date,
    _datetime,
    _decimal,
    _ref,
    _text,
    currency_code,
)
from core.errors import RecordRejectedError
from core.records import Money, Order, OrderLine, Quantity, ReturnAuthorization
from tests.conftest import REFERENCE

VERSIONS = ("2_5", "2014_2", "2017_1", "2021_2", "2023_2", "2025_2")
XSI = "http://www.w3.org/2001/XMLSchema-instance"


def _fields(element):
    return {replies.local(item.tag): item for item in element}


def previous_line(element, currency: str) -> OrderLine:
    f = _fields(element)
    quantity = _decimal(f.get("quantity"))
    shipped = _decimal(f.get("quantityFulfilled"))
    rate, line, closed = f.get("rate"), f.get("line"), f.get("isClosed")
    if closed is not None and closed.text == "true":
        status = "closed"
    else:
        status = "shipped" if quantity and shipped >= quantity else "open"
    return OrderLine(
        line_no=int(line.text) if line is not None and line.text else 0,
        sku=_ref(f.get("item")),
        quantity=Quantity(quantity, _ref(f.get("units")) or "EA"),
        unit_price=Money(Decimal(rate.text) if rate is not None and rate.text else ZERO, currency),
        requested_date=_date(f.get("requestedDate")),
        promised_date=_date(f.get("expectedShipDate")),
        quantity_shipped=shipped,
        quantity_invoiced=_decimal(f.get("quantityBilled")),
        quantity_backordered=_decimal(f.get("quantityBackOrdered")),
        status=status,
        location=_ref(f.get("location")),
    )


def _base(element, f) -> dict:
    return {
        "source_system": SYSTEM,
        "source_key": element.get("internalId", ""),
        "external_id": element.get("externalId"),
        "modified_at": _datetime(f.get("lastModifiedDate")),
    }


def previous_order(element) -> Order:
    f = _fields(element)
    currency = currency_code(f.get("currency"))
    status = ORDER_STATUS.get(_text(f.get("orderStatus")), "open")
    return Order(
        **_base(element, f),
        number=_text(f.get("tranId")),
        customer_number=_ref(f.get("entity")),
        ship_to_code=_ref(f.get("shipAddressList")),
        order_date=_date(f.get("tranDate")),
        currency=currency,
        status=status,
        ship_method=_ref(f.get("shipMethod")),
        terms=_ref(f.get("terms")),
        on_hold=status == "pending_approval",
        lines=[previous_line(i, currency) for i in replies.each(f.get("itemList"), "item")],
    )


def previous_return(element) -> ReturnAuthorization:
    f = _fields(element)
    currency = currency_code(f.get("currency"))
    return ReturnAuthorization(
        **_base(element, f),
        number=_text(f.get("tranId")),
        order_number=records.order_number(f.get("createdFrom")),
        customer_number=_ref(f.get("entity")),
        status=RETURN_STATUS.get(_text(f.get("orderStatus")), "pending"),
        reason=_text(f.get("memo")),
        lines=[previous_line(i, currency) for i in replies.each(f.get("itemList"), "item")],
    )


def outcome(parse, element) -> tuple:
    try:
        return ("record", parse(element))
    except Exception as exc:  # the same failure, type and message, is part of the behaviour
        return ("error", type(exc), str(exc))


def assert_same(elements) -> int:
    count = 0
    for element in elements:
        assert outcome(records.parse_order, element) == outcome(previous_order, element)
        assert outcome(records.parse_return, element) == outcome(previous_return, element)
        count += 1
    return count


# ---- generated pages -----------------------------------------------------------------------


def _ref_xml(tag: str, rng: Values, name: str) -> str:
    attrs = f' internalId="{rng.randint(1, 99)}"' if rng.random() < 0.9 else ""
    if rng.random() < 0.2:
        attrs += f' externalId="{rng.choice(["", "X-" + name])}"'
    inner = "" if rng.random() < 0.1 else f"<c:name>{rng.choice(['', name])}</c:name>"
    return f"<t:{tag}{attrs}>{inner}</t:{tag}>"


class Values(random.Random):
    """Random field values; a regular page has every field filled and well formed."""

    def __init__(self, seed: int, regular: bool) -> None:
        super().__init__(seed)
        self.regular = regular


def _value(rng: Values, good: str, bad: str) -> str:
    roll = 1.0 if rng.regular else rng.random()
    return "" if roll < 0.08 else bad if roll < 0.1 else good


LINE_TEXTS = {
    "quantity": lambda r: _value(r, f"{r.randint(0, 9)}.0", "three"),
    "quantityFulfilled": lambda r: _value(r, f"{r.randint(0, 9)}.0", "1,5"),
    "rate": lambda r: _value(r, f"{r.randint(1, 999)}.{r.randint(0, 99):02d}", "$4"),
    "amount": lambda r: f"{r.randint(1, 9999)}.00",
    "isClosed": lambda r: r.choice(["true", "false", "", " true"]),
    "line": lambda r: _value(r, str(r.randint(1, 40)), "1.5"),
    "requestedDate": lambda r: _value(r, f"2026-04-0{r.randint(1, 9)}T08:00:00-07:00", "soon"),
    "expectedShipDate": lambda r: _value(r, f"2026-05-1{r.randint(0, 9)}T00:00:00Z", "2026-13-01"),
    "quantityBilled": lambda r: _value(r, f"{r.randint(0, 9)}.0", "x"),
    "quantityBackOrdered": lambda r: _value(r, f"{r.randint(0, 9)}", "-"),
}  # fmt: skip
LINE_REFS = ("item", "units", "location")


def _line_xml(rng: Values, regular: bool) -> str:
    parts = [_ref_xml(name, rng, f"{name}-{rng.randint(0, 5)}") for name in LINE_REFS]
    parts += [f"<t:{name}>{make(rng)}</t:{name}>" for name, make in LINE_TEXTS.items()]
    if not regular:
        rng.shuffle(parts)
        parts = [p for p in parts if rng.random() < 0.85]
        if rng.random() < 0.3:  # a repeated child with another value: the last one wins
            name = rng.choice(list(LINE_TEXTS))
            parts.append(f"<t:{name}>{LINE_TEXTS[name](rng)}</t:{name}>")
            parts.append(_ref_xml("item", rng, "again"))
        if rng.random() < 0.2:
            parts.insert(0, "<t:customFieldList><c:x>1</c:x></t:customFieldList><!-- note -->")
    return f"<t:item>{''.join(parts)}</t:item>"


def _order_xml(rng: Values, n: int, regular: bool) -> str:
    texts = {
        "tranDate": _value(rng, "2026-03-01T00:00:00.000-08:00", "01/03/2026"),
        "tranId": rng.choice(["", f"SO{n:05d}"]),
        "orderStatus": rng.choice([*ORDER_STATUS, *RETURN_STATUS, "_odd", ""]),
        "lastModifiedDate": _value(rng, "2026-03-01T10:11:12.000-08:00", "2026-03-01 late"),
        "memo": rng.choice(["", "damaged"]),
    }
    parts = [f"<t:{name}>{text}</t:{name}>" for name, text in texts.items()]
    for name in ("entity", "shipAddressList", "shipMethod", "terms", "createdFrom"):
        parts.append(_ref_xml(name, rng, f"{name}#{rng.randint(0, 9)}"))
    currency = rng.choice(["USD", "Euro", "US Dollar", "usd", ""] + ["Yen"] * (not rng.regular))
    parts.append(f'<t:currency internalId="1"><c:name>{currency}</c:name></t:currency>')
    lines = "".join(_line_xml(rng, regular) for _ in range(rng.randint(0, 4)))
    if not regular and rng.random() < 0.2:
        lines += "<t:other><t:quantity>1</t:quantity></t:other>"
    parts.append(f'<t:itemList replaceAll="false">{lines}</t:itemList>')
    if not regular:
        rng.shuffle(parts)
        if rng.random() < 0.3:  # a repeated child with another value: the last one wins
            parts += [f"<t:tranId>again{n}</t:tranId>", _ref_xml("entity", rng, "again")]
    keys = f'internalId="{n}" externalId="SO{n:05d}"' if n % 7 else ""
    return f'<c:record {keys} xsi:type="t:SalesOrder">{"".join(parts)}</c:record>'


def page(version: str, count: int, seed: int, regular: bool = False) -> etree._Element:
    rng = Values(seed, regular)
    orders = "".join(_order_xml(rng, n, regular) for n in range(count))
    xml = (
        f'<c:recordList xmlns:c="urn:core_{version}.platform.webservices.netsuite.com" '
        f'xmlns:t="urn:sales_{version}.transactions.webservices.netsuite.com" '
        f'xmlns:xsi="{XSI}">{orders}</c:recordList>'
    )
    return etree.fromstring(xml.encode())


@pytest.mark.parametrize("version", VERSIONS)
def test_fast_order_path_matches_the_field_by_name_one(version):
    records_page = page(version, 400, seed=len(version))
    outcomes = [outcome(records.parse_order, e)[0] for e in records_page]
    assert "record" in outcomes and "error" in outcomes  # both kinds are exercised
    assert assert_same(records_page) == 400


def test_a_large_regular_page_reads_the_same_both_ways():
    large = page("2025_2", 3000, seed=7, regular=True)
    assert sum(len(previous_order(e).lines) for e in large if e.get("internalId")) > 4000
    assert assert_same(large) == 3000


def test_the_same_page_reads_alike_whatever_the_namespace_version():
    first, *others = (
        [outcome(records.parse_order, e) for e in page(v, 50, seed=3)] for v in VERSIONS
    )
    assert all(other == first for other in others)


def test_every_record_of_the_reference_replies_reads_the_same_both_ways():
    folder = REFERENCE / "netsuite" / "soap-responses-netsweet"
    if not folder.is_dir():
        pytest.skip(f"reference replies not found under {folder}")
    found = 0
    for path in sorted(folder.glob("*/*.xml")):
        try:
            root = etree.fromstring(path.read_bytes())
        except etree.XMLSyntaxError:  # the two cut-off fixtures
            continue
        elements = [e for e in root.iter() if replies.local(e.tag) in ("record", "searchRow")]
        found += assert_same(elements)
    assert found >= 5


def test_a_page_is_read_with_the_collector_held_off_and_given_back_after_an_error():
    regular = list(page("2025_2", 20, seed=7, regular=True))
    assert parse_page("order", regular) == [previous_order(e) for e in regular]
    assert gc.isenabled()
    mixed = list(page("2025_2", 400, seed=5))
    with pytest.raises(RecordRejectedError, match="cannot read order record"):
        parse_page("order", mixed)
    assert gc.isenabled()  # the collector is back on after a record we cannot map
