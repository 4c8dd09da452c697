"""What the EDI job tests share: the sandbox's retailer (partner beacon, customer C00729)
sending 850s built from the store's master data, and the partner's folders."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from sqlalchemy import select

from connectors.edi import x12
from connectors.edi.build import OutGroup, OutSet, Party, interchange
from core.store import models as m
from core.store import session_scope

PARTNER = "beacon"
THEM = Party("ZZ", "BEACONRETAIL", "BEACONRETAIL")
US = Party("ZZ", "ORDERBRIDGE", "ORDERBRIDGE")
WHEN = datetime(2026, 3, 2, 9, 30, tzinfo=timezone.utc)


@dataclass(frozen=True)
class Line:
    sku: str
    quantity: int
    price: str


def priced_items(url: str, count: int = 3) -> list[Line]:
    """Active items with a Distributor price in USD (the partner's level), at that price."""
    with session_scope(url) as session:
        rows = session.execute(
            select(m.Item.sku, m.PriceListEntry.unit_price)
            .join(m.PriceListEntry, m.PriceListEntry.sku == m.Item.sku)
            .where(m.Item.active, m.Item.kit.is_(False), m.PriceListEntry.price_level ==
                   "Distributor", m.PriceListEntry.currency == "USD",
                   m.PriceListEntry.min_quantity <= 1, m.PriceListEntry.effective_from.is_(None))
            .order_by(m.Item.sku)
        ).all()  # fmt: skip
    return [
        Line(sku, 2 + n, f"{price:.2f}") for n, (sku, price) in enumerate(rows[:count])
    ]  # under 10: the first break


def po_body(po: str, lines: list[Line], store: str = "0101") -> list[list[str]]:
    body = [["BEG", "00", "SA", po, "", "20260302"], ["REF", "DP", "042"],
            ["ITD", "01", "3", "", "", "", "", "30"], ["DTM", "010", "20260310"],
            ["TD5", "", "2", "UPSN", "", "UPS Ground"],
            ["N1", "ST", "Beacon Store", "92", store], ["N3", "1 Main St"],
            ["N4", "Boston", "MA", "02110", "US"]]  # fmt: skip
    for n, line in enumerate(lines, start=1):
        body.append(["PO1", str(n * 10), str(line.quantity), "EA", line.price, "",
                     "VP", line.sku, "BP", f"B-{line.sku}"])  # fmt: skip
    body.append(["CTT", str(len(lines))])
    return body


def interchange_of(control: int, sets: list[tuple[str, list[list[str]]]],
                   functional_id: str = "PO") -> str:  # fmt: skip
    outs = [OutSet(set_id, f"{n:04d}", body) for n, (set_id, body) in enumerate(sets, start=1)]
    return interchange(THEM, US, str(control), [OutGroup(functional_id, str(control), "004010",
                                                         outs)], WHEN)  # fmt: skip


def folder(settings, which: str) -> Path:
    path = settings.data_path / "edi" / PARTNER / which
    path.mkdir(parents=True, exist_ok=True)
    return path


def drop(settings, name: str, text: str | bytes) -> Path:
    path = folder(settings, "inbound") / name
    path.write_bytes(text.encode() if isinstance(text, str) else text)
    return path


def sent(settings, set_id: str) -> list[x12.TransactionSet]:
    """Every set of this kind we wrote into the partner's outbound folder."""
    found = []
    for path in sorted(folder(settings, "outbound").glob("*.x12")):
        for one in x12.read(path.read_bytes()).interchanges:
            found += [s for g in one.groups for s in g.sets if s.set_id == set_id]
    return found
