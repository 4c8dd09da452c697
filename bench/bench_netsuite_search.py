"""Benchmark: a 10,000-record NetSuite search reply into canonical records.

Three readers of the same bytes, timed in the same run (median of several runs):
  connector  replies.parse_envelope + read_search + connector.parse_page (what read_changed does)
  reference  a plain lxml extraction of the same fields into dicts, written here
  zeep       zeep's own deserialisation of the reply against the same WSDL bundle
Targets: connector <= 1.5x reference, and >= 5x faster than zeep.

    python bench/bench_netsuite_search.py [--records 10000] [--runs 5] [--zeep-runs 3]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import _root  # noqa: E402, F401  (the project root on sys.path)
import requests
import zeep
from lxml import etree

from connectors.netsuite import replies  # noqa: E402
from connectors.netsuite.client import ZEEP_SETTINGS  # noqa: E402
from connectors.netsuite.connector import parse_page  # noqa: E402
from sandbox.netsuite import schema  # noqa: E402

VERSION = "2025_2"
CORE = f"urn:core_{VERSION}.platform.webservices.netsuite.com"
SALES = f"urn:sales_{VERSION}.transactions.webservices.netsuite.com"


def build_reply(count: int, lines: int = 3) -> bytes:
    """One search page of `count` sales orders with `lines` lines each, as NetSuite writes it."""
    parts = [
        '<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope '
        'xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" '
        'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><soapenv:Header>'
        f'<platformMsgs:documentInfo xmlns:platformMsgs="urn:messages_{VERSION}.platform.'
        'webservices.netsuite.com"><platformMsgs:nsId>WEBSERVICES_BENCH</platformMsgs:nsId>'
        "</platformMsgs:documentInfo></soapenv:Header><soapenv:Body>"
        f'<searchResponse xmlns="urn:messages_{VERSION}.platform.webservices.netsuite.com">'
        f'<platformCore:searchResult xmlns:platformCore="{CORE}">'
        f'<platformCore:status isSuccess="true"/><platformCore:totalRecords>{count}'
        f"</platformCore:totalRecords><platformCore:pageSize>{count}</platformCore:pageSize>"
        "<platformCore:totalPages>1</platformCore:totalPages><platformCore:pageIndex>1"
        "</platformCore:pageIndex><platformCore:searchId>BENCH</platformCore:searchId>"
        "<platformCore:recordList>"
    ]
    for n in range(count):
        items = "".join(
            f'<tranSales:item><tranSales:item internalId="{100 + i}"><platformCore:name>'
            f"{i + n % 50:05d}</platformCore:name></tranSales:item>"
            f"<tranSales:quantity>{i + 2}.0</tranSales:quantity><tranSales:rate>{i + 9}.75"
            f"</tranSales:rate><tranSales:amount>{(i + 2) * (i + 9.75):.2f}</tranSales:amount>"
            f"<tranSales:isClosed>false</tranSales:isClosed><tranSales:line>{i + 1}"
            f"</tranSales:line><tranSales:quantityBilled>0.0</tranSales:quantityBilled>"
            f"<tranSales:quantityFulfilled>1.0</tranSales:quantityFulfilled>"
            f"<tranSales:expectedShipDate>2026-03-0{i + 1}T00:00:00.000-08:00"
            f"</tranSales:expectedShipDate></tranSales:item>"
            for i in range(lines)
        )
        parts.append(
            f'<platformCore:record xmlns:tranSales="{SALES}" internalId="{n + 1}" '
            f'externalId="{n:08d}" xsi:type="tranSales:SalesOrder">'
            f'<tranSales:entity internalId="{n % 20 + 1}"><platformCore:name>C{n % 20:05d}'
            "</platformCore:name></tranSales:entity>"
            '<tranSales:currency internalId="1"><platformCore:name>USD</platformCore:name>'
            "</tranSales:currency><tranSales:tranDate>2026-03-01T00:00:00.000-08:00"
            f"</tranSales:tranDate><tranSales:tranId>{n:08d}</tranSales:tranId>"
            "<tranSales:orderStatus>_pendingFulfillment</tranSales:orderStatus>"
            f'<tranSales:shipAddressList internalId="{n % 40}"><platformCore:name>'
            f"C{n % 20:05d}-01</platformCore:name></tranSales:shipAddressList>"
            '<tranSales:shipMethod internalId="4"><platformCore:name>UPS 03</platformCore:name>'
            "</tranSales:shipMethod><tranSales:lastModifiedDate>2026-03-01T10:11:12.000-08:00"
            '</tranSales:lastModifiedDate><tranSales:terms internalId="2"><platformCore:name>'
            "Net 30</platformCore:name></tranSales:terms>"
            f"<tranSales:itemList>{items}</tranSales:itemList></platformCore:record>"
        )
    parts.append("</platformCore:recordList></platformCore:searchResult></searchResponse>")
    parts.append("</soapenv:Body></soapenv:Envelope>")
    return "".join(parts).encode()


def connector_read(content: bytes) -> list:
    page = replies.read_search(replies.parse_envelope(content))
    return parse_page("order", page.records)


def _name(tag: str) -> str:
    return tag.split("}", 1)[1]


def _value(element: etree._Element) -> str | None:
    if len(element):  # a reference: its name child
        return element[0].text
    return element.text


# The line fields records.parse_order maps. Every field of a record in this reply is one it
# maps, but a line's amount is not: the reference leaves it out too, for equal field coverage.
LINE_FIELDS = frozenset((
    "item", "units", "location", "quantity", "quantityFulfilled", "rate", "line", "isClosed",
    "requestedDate", "expectedShipDate", "quantityBilled", "quantityBackOrdered",
))  # fmt: skip


def reference_read(content: bytes) -> list[dict]:
    """The same fields with lxml alone, into dicts of strings: the floor to compare with."""
    root = etree.fromstring(content)
    found = []
    for record in root.iter(f"{{{CORE}}}record"):
        row: dict = {"internalId": record.get("internalId"), "externalId": record.get("externalId")}
        for field in record:
            name = _name(field.tag)
            if name == "itemList":
                row["lines"] = [
                    {n: _value(part) for part in line if (n := _name(part.tag)) in LINE_FIELDS}
                    for line in field
                ]  # fmt: skip
            else:
                row[name] = _value(field)
        found.append(row)
    return found


def zeep_client(folder: Path) -> tuple[zeep.Client, object]:
    for prefix in schema.schemas():
        _, area, name = schema.NAMESPACES[prefix]
        text = schema.render_xsd(prefix, VERSION)
        for other in schema.schemas():
            _, a, n = schema.NAMESPACES[other]
            text = text.replace(schema.xsd_url(other, VERSION), f"{a}.{n}.xsd")
        (folder / f"{area}.{name}.xsd").write_text(text)
    wsdl = schema.render_wsdl(VERSION)
    for other in schema.schemas():
        _, a, n = schema.NAMESPACES[other]
        wsdl = wsdl.replace(schema.xsd_url(other, VERSION), f"{a}.{n}.xsd")
    (folder / "netsuite.wsdl").write_text(wsdl)
    settings = zeep.Settings(
        strict=True, forbid_dtd=True, forbid_entities=True, forbid_external=True
    )
    client = zeep.Client(str(folder / "netsuite.wsdl"), settings=settings)
    binding = client.service._binding
    return client, binding


def zeep_read(client: zeep.Client, binding, content: bytes) -> object:
    response = requests.Response()
    response.status_code = 200
    response._content = content
    response.headers["Content-Type"] = "text/xml; charset=utf-8"
    return binding.process_reply(client, binding.get("search"), response)


def timed(fn, runs: int) -> tuple[float, object]:
    times, result = [], None
    for _ in range(runs):
        started = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - started)
    return statistics.median(times), result


def paired(first, second, runs: int) -> tuple[float, float, float, object, object]:
    """Time two readers alternately, so both see the same load on a shared, noisy machine;
    returns their medians, the median of the per-pair ratios, and their last results."""
    a_times, b_times, ratios = [], [], []
    a_result = b_result = None
    for _ in range(runs):
        a_seconds, a_result = timed(first, 1)
        b_seconds, b_result = timed(second, 1)
        a_times.append(a_seconds)
        b_times.append(b_seconds)
        ratios.append(a_seconds / b_seconds)
    return (
        statistics.median(a_times),
        statistics.median(b_times),
        statistics.median(ratios),
        a_result,
        b_result,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--zeep-runs", type=int, default=3)
    args = parser.parse_args()
    assert ZEEP_SETTINGS.strict
    content = build_reply(args.records)
    print(f"reply: {args.records} sales orders x 3 lines, {len(content) / 1e6:.1f} MB")
    ours, floor, ratio, orders, rows = paired(
        lambda: connector_read(content), lambda: reference_read(content), args.runs
    )
    assert len(orders) == len(rows) == args.records
    assert orders[0].lines[0].sku == rows[0]["lines"][0]["item"]
    with tempfile.TemporaryDirectory() as folder:
        client, binding = zeep_client(Path(folder))
        theirs, result = timed(lambda: zeep_read(client, binding, content), args.zeep_runs)
    assert len(result.body.searchResult.recordList.record) == args.records
    for label, seconds, runs in (
        ("connector (lxml -> canonical records)", ours, args.runs),
        ("reference (lxml -> dicts of strings)", floor, args.runs),
        ("zeep deserialisation", theirs, args.zeep_runs),
    ):
        print(f"{label:<38} {seconds * 1000:8.0f} ms  (median of {runs})")
    print(f"connector / reference = {ratio:.2f}x   (target <= 1.5x; median of paired runs)")
    print(f"zeep / connector      = {theirs / ours:.1f}x   (target >= 5x)")


if __name__ == "__main__":
    main()
