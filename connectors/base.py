"""The connector contracts and the registry of connector factories.

A connector reads a window of changed records, upserts a batch keyed by our stable external
id (a result per record), and checks its connection; an ERP connector also simulates an
upsert. Carriers add track and rate.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol

from core.errors import TRANSIENT_CLASSES, ConfigError

# The one vocabulary of entities every connector reads and writes (what each supports is
# its own: an ERP has all of them, a CRM some). Singular, like the canonical records.
ENTITIES = (
    "customer",
    "ship_to",
    "item",
    "price",
    "availability",
    "order",
    "shipment",
    "invoice",
    "return",
)


@dataclass
class CheckResult:
    system: str
    ok: bool
    latency_ms: int
    message: str = ""
    hint: str = ""


@dataclass
class WriteResult:
    """The outcome for one record of a batch: written, or rejected with why."""

    external_id: str
    ok: bool
    their_id: str | None = None
    code: str | None = None
    message: str = ""
    error_class: str = "value"
    warnings: list[str] = field(default_factory=list)

    @property
    def transient(self) -> bool:
        """Refused through the system's passing failure (a lock, a lost reply), not the record's
        content: sending it again later may succeed."""
        return not self.ok and self.error_class in TRANSIENT_CLASSES


class Connector(Protocol):
    system: str
    api_calls: int
    reads: frozenset[str]  # the ENTITIES read_changed answers for

    def check(self) -> CheckResult: ...

    def read_changed(self, entity: str, since: datetime, until: datetime) -> Iterator[Any]: ...

    def upsert(self, entity: str, records: Sequence[Any]) -> list[WriteResult]: ...


class SimulatingConnector(Protocol):
    """An ERP connector that can say what an upsert would answer without writing anything.

    One result per record, as upsert gives (ok, or refused with code and message; `warnings`
    the system's notes). SAP calls the same BAPI in its test mode; NetSuite, which has none,
    reads the records the write depends on. A system failure raises TransientError, as a
    write's does: a simulation never turns an outage into a record's refusal."""

    def simulate(self, entity: str, records: Sequence[Any]) -> list[WriteResult]: ...


class Carrier(Protocol):
    system: str
    api_calls: int

    def check(self) -> CheckResult: ...

    def track(self, numbers: Iterable[str]) -> list[Any]: ...

    def rate(self, shipment: Any) -> list[Any]: ...


# --- EDI: what the jobs see of X12 and AS2 (all of it lives in connectors/edi) -------------


@dataclass(frozen=True)
class Controls:
    """The control numbers of one interchange we send: ISA13, GS06 of each group, ST02 from
    `st` on; taken from the store so that none is used twice."""

    isa: int
    gs: int
    st: int


@dataclass
class Inbound:
    """One message a partner sent, as it arrived: a file in its inbound folder or an AS2
    message the portal stored. `channel` is "file:<name>" or "as2:<message id>"."""

    partner: str | None  # None: no declared partner sends under this id
    channel: str
    data: bytes
    path: str | None = None  # the file, to move to archive/ or error/


@dataclass
class SetIn:
    """One transaction set received, read into our records where we read its kind.

    `content`: an Order for an 850, a list of order changes (dicts as an order-change upload
    row holds them) for an 860, a list of SetAck for a 997; None for a set we do not read or
    one the 997 rejects. `problems` name the segment and element at fault."""

    set_id: str
    gs_control: str
    st_control: str
    accepted: bool
    po_number: str = ""
    content: Any = None
    problems: list[str] = field(default_factory=list)
    view: Any = None  # the set's content as JSON, for the EDI page


@dataclass
class SetAck:
    """What a 997 received says of one set we sent: AK2's set id and control, AK5's code
    (A accepted, E accepted with errors, R rejected) and the errors it names."""

    group_control: str
    set_id: str
    st_control: str
    code: str
    errors: list[str] = field(default_factory=list)


@dataclass
class InterchangeIn:
    """An interchange read: its envelope, its sets and the 997 text that answers it; `error`
    when it cannot be read at all (it goes to error/, nothing of it is processed)."""

    partner: str | None
    sender: str
    receiver: str
    control: str
    raw: str
    encoding: str
    sets: list[SetIn] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    error: str | None = None


@dataclass
class Outbound:
    """An interchange built to send: its text and what it carries."""

    partner: str
    set_id: str
    text: str
    isa_control: str
    gs_control: str
    st_control: str
    po_number: str = ""
    view: Any = None


@dataclass(frozen=True)
class Acceptance:
    """What the ERP made of a PO, for its 855: the order as entered (None: refused, every
    line rejected) and the ERP's order number."""

    order: Any
    erp_number: str = ""


@dataclass(frozen=True)
class ShipNotice:
    """A shipment for its 856, with the first serial of its cartons' SSCC-18 labels."""

    shipment: Any
    serial: int


class EdiChannel(Protocol):
    """X12 and its transports, for edi_inbound and edi_outbound.

    inbox: every message waiting (files in each partner's inbound/); settle moves a file to
    archive/ or error/ (with a note of why). read turns bytes into an InterchangeIn and never
    raises on bad content. acknowledge builds the 997 for an interchange received. build
    makes an 855 (subject: the Order and the ERP's lines), 856 (the Shipment) or 810 (the
    Invoice) for the PO it answers (the 850's raw interchange and set control). send delivers
    an Outbound by the partner's transport and says where it went. open_as2 verifies and
    decrypts an AS2 message the portal stored, returning its payload and the MDN to send."""

    system: str
    api_calls: int

    def partners(self) -> list[str]: ...

    def check(self) -> CheckResult: ...

    def inbox(self) -> list[Inbound]: ...

    def settle(self, inbound: Inbound, ok: bool, reason: str = "") -> None: ...

    def read(self, inbound: Inbound) -> list[InterchangeIn]: ...

    def acknowledge(
        self, received: InterchangeIn, controls: Controls, when: datetime
    ) -> Outbound: ...

    def build(
        self, partner: str, set_id: str, subject: Any, po_raw: str, po_control: str,
        controls: Controls, when: datetime,
    ) -> Outbound: ...  # fmt: skip

    def send(self, outbound: Outbound) -> str: ...


def window_end(until: datetime, resolution: timedelta = timedelta(seconds=1)) -> datetime:
    """The end of a read window rounded up to the time resolution the system keeps.

    Systems keep change times in whole seconds (NetSuite, SAP) or milliseconds (Salesforce);
    a window ending mid-unit, sent truncated, would miss what changed in that last part
    until the next run's lookback. Rounding up reads it now; the overlap is harmless because
    every write downstream is idempotent."""
    unit = int(resolution.total_seconds() * 1_000_000)
    micros = until.microsecond % unit
    return until if not micros else until + timedelta(microseconds=unit - micros)


# system -> "module:factory"; the factory takes the Settings and returns a connector.
# Imported lazily so one system's dependencies never load for another's job.
CONNECTORS: dict[str, str] = {
    "sap": "connectors.sap.connector:from_settings",
    "ups": "connectors.carriers.ups:from_settings",
    "fedex": "connectors.carriers.fedex:from_settings",
    "dhl": "connectors.carriers.dhl:from_settings",
    "threepl": "connectors.threepl.connector:from_settings",
    "salesforce": "connectors.salesforce.connector:from_settings",
    "netsuite": "connectors.netsuite.connector:from_settings",
    "edi": "connectors.edi.connector:from_settings",
}


def register(system: str, target: str) -> None:
    CONNECTORS[system] = target


def get_connector(system: str, settings: Any) -> Any:
    target = CONNECTORS.get(system)
    if target is None:
        raise ConfigError(
            f"no connector for system {system!r}",
            key="system",
            hint="one of " + ", ".join(sorted(CONNECTORS)) if CONNECTORS else None,
        )
    module_name, _, factory = target.partition(":")
    factory_fn: Callable[[Any], Any] = getattr(importlib.import_module(module_name), factory)
    return factory_fn(settings)
