"""Trading partners as the settings declare them (edi.partners.<id>), and our own ids: who
sends under which ISA id, how we write to them, and their cross-references to our items
and ship-tos."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from connectors.edi.build import Party
from connectors.edi.x12 import Delimiters
from core.errors import ConfigError

FOLDERS = ("inbound", "outbound", "archive", "error")
# GS01 of each set we send.
FUNCTIONAL_IDS = {"855": "PR", "856": "SH", "810": "IN", "997": "FA", "850": "PO", "860": "PC"}


@dataclass(frozen=True)
class TradingPartner:
    key: str  # the id under edi.partners
    name: str
    customer: str
    party: Party  # their ISA05/ISA06 and GS
    version: str
    delimiters: Delimiters
    sets: frozenset[str]
    ack_due_hours: int
    transport: str
    as2_id: str = ""
    as2_url: str = ""
    items: Mapping[str, str] = field(default_factory=dict)
    ship_tos: Mapping[str, str] = field(default_factory=dict)

    @property
    def isa_version(self) -> str:
        return "00501" if self.version >= "005010" else "00401"

    def order_number(self, po_number: str) -> str:
        """Our order number for the partner's PO: also the ERP's external id, so a PO is
        entered once however often it arrives."""
        return f"EDI-{self.key}-{po_number}"


def our_party(settings: Any) -> Party:
    edi = settings.get_path("edi") or {}
    return Party(
        str(edi.get("isa_qualifier") or "ZZ"),
        str(edi.get("isa_id") or "ORDERBRIDGE"),
        str(edi.get("gs_id") or "ORDERBRIDGE"),
    )


def _map(value: Any) -> dict[str, str]:
    return {str(k): str(v) for k, v in (value or {}).items() if v}


def partner_from(key: str, data: Mapping[str, Any]) -> TradingPartner:
    where = f"edi.partners.{key}"
    for needed in ("customer", "isa_id", "gs_id"):
        if not data.get(needed):
            raise ConfigError("a trading partner needs it", key=f"{where}.{needed}")
    repetition = data.get("repetition_separator") or "^"
    return TradingPartner(
        key=key,
        name=str(data.get("name") or key),
        customer=str(data["customer"]),
        party=Party(
            str(data.get("isa_qualifier") or "ZZ"), str(data["isa_id"]), str(data["gs_id"])
        ),  # fmt: skip
        version=str(data.get("version") or "004010"),
        delimiters=Delimiters(
            str(data.get("element_separator") or "*"),
            str(data.get("sub_element_separator") or ">"),
            str(data.get("segment_terminator") or "~"),
            str(repetition),
        ),
        sets=frozenset(str(data.get("sets") or "850,855,856,810").split(",")),
        ack_due_hours=int(data.get("ack_due_hours") or 24),
        transport=str(data.get("transport") or "file"),
        as2_id=str(data.get("as2_id") or ""),
        as2_url=str(data.get("as2_url") or ""),
        items=_map(data.get("items")),
        ship_tos=_map(data.get("ship_tos")),
    )


def partners_from(settings: Any) -> dict[str, TradingPartner]:
    declared = settings.get_path("edi.partners") or {}
    return {key: partner_from(key, declared[key]) for key in declared}


def by_sender(
    partners: Mapping[str, TradingPartner], qualifier: str, isa_id: str
) -> TradingPartner | None:
    """The partner that sends under this ISA05/ISA06 (qualifier and id, spaces trimmed)."""
    for partner in partners.values():
        if (partner.party.qualifier, partner.party.isa_id) == (qualifier.strip(), isa_id.strip()):
            return partner
    return None


def edi_root(settings: Any) -> Path:
    root = settings.get_path("edi.root")
    if not root:
        return settings.data_path / "edi"
    path = Path(root)
    return path if path.is_absolute() else settings.data_path / path


def folder(settings: Any, partner: str, which: str) -> Path:
    assert which in FOLDERS, which
    path = edi_root(settings) / partner / which
    path.mkdir(parents=True, exist_ok=True)
    return path
