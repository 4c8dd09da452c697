"""The EDI channel behind connectors.base.EdiChannel: X12 in and out of each trading
partner's file drop (and AS2), read into our records, answered with 997s, and the 855, 856
and 810 built for the PO they answer."""

from __future__ import annotations

import logging
import os
import time
from datetime import datetime
from pathlib import Path
from typing import Any

from connectors.base import (
    Acceptance,
    CheckResult,
    Controls,
    Inbound,
    InterchangeIn,
    Outbound,
    SetIn,
    ShipNotice,
)
from connectors.edi import ack, envelope, x12
from connectors.edi.build import OutGroup, OutSet, interchange
from connectors.edi.partners import (
    FUNCTIONAL_IDS,
    TradingPartner,
    by_sender,
    folder,
    our_party,
    partners_from,
)
from connectors.edi.records import parse_acks, parse_change, parse_order, view
from connectors.edi.sets import asn856, inv810, pc860, po850, poa855
from core.errors import ConfigError

log = logging.getLogger(__name__)


class EdiConnector:
    system = "edi"

    def __init__(self, settings: Any) -> None:
        self.settings = settings
        self.api_calls = 0
        self.us = our_party(settings)
        self.declared = partners_from(settings)
        self.company_prefix = str(settings.get_path("edi.gs1_company_prefix") or "")

    def partners(self) -> list[str]:
        return sorted(self.declared)

    def partner(self, key: str) -> TradingPartner:
        found = self.declared.get(key)
        if found is None:
            raise ConfigError(
                f"no trading partner {key!r} is declared",
                key=f"edi.partners.{key}",
                hint="one of " + ", ".join(self.partners()) if self.declared else None,
            )
        return found

    def check(self) -> CheckResult:
        started = time.monotonic()
        try:
            for key in self.declared:
                for which in ("inbound", "outbound"):
                    probe = folder(self.settings, key, which) / ".probe"
                    probe.write_bytes(b"")
                    probe.unlink()
        except OSError as exc:
            return CheckResult(self.system, False, _ms(started), f"file drop: {exc}",
                               "check edi.root and its permissions")  # fmt: skip
        return CheckResult(self.system, True, _ms(started), f"{len(self.declared)} partner(s)")

    # ---- inbound -----------------------------------------------------------------------

    def inbox(self) -> list[Inbound]:
        waiting = []
        for key in self.partners():
            inbound = folder(self.settings, key, "inbound")
            for path in sorted(inbound.iterdir()):
                if path.is_file() and not path.name.startswith("."):
                    waiting.append(Inbound(key, f"file:{path.name}", path.read_bytes(),
                                           str(path)))  # fmt: skip
        return waiting

    def settle(self, inbound: Inbound, ok: bool, reason: str = "") -> None:
        """Move a file taken to archive/ (done) or error/ (with a note of why beside it)."""
        if not inbound.path or inbound.partner is None:
            return
        source = Path(inbound.path)
        if not source.exists():
            return  # settled before a crash, or taken by another worker
        target_dir = folder(self.settings, inbound.partner, "archive" if ok else "error")
        target = _free(target_dir / source.name)
        if not ok:
            target.with_name(target.name + ".reason.txt").write_text(reason + "\n")
        os.replace(source, target)

    def read(self, inbound: Inbound) -> list[InterchangeIn]:
        try:
            document = x12.read(inbound.data)
        except x12.X12Error as exc:
            return [InterchangeIn(inbound.partner, "", "", "", "", "", error=str(exc))]
        return [self._interchange(inbound, document, one) for one in document.interchanges]

    def _interchange(
        self, inbound: Inbound, document: x12.Document, one: x12.Interchange
    ) -> InterchangeIn:
        raw = x12.render(x12.Document([one], document.encoding))
        sender, receiver = "/".join(one.sender), "/".join(one.receiver)
        partner = by_sender(self.declared, *one.sender)
        received = InterchangeIn(partner.key if partner else None, sender, receiver,
                                 one.control, raw, document.encoding)  # fmt: skip
        received.problems = [str(e) for e in envelope.check_interchange(one)]
        if partner is None:
            received.error = f"no trading partner is declared with ISA sender {sender}"
        elif inbound.partner and partner.key != inbound.partner:
            received.error = (f"ISA sender {sender} is partner {partner.key}, not "
                              f"{inbound.partner} whose folder it came in")  # fmt: skip
        if received.error:
            return received
        for group in one.groups:
            for tset in group.sets:
                received.sets.append(self._set(partner, one, group, tset))
        return received

    def _set(
        self, partner: TradingPartner, one: x12.Interchange, group: x12.Group,
        tset: x12.TransactionSet,
    ) -> SetIn:  # fmt: skip
        verdict = ack.judge_set(one, group, tset)
        where = f"interchange {one.control}, group {group.control}, set {tset.control}"
        problems = [f"{where}: {e}" for e in envelope.check_set(one, group, tset)]
        problems += [f"{where}, {e}" for e in verdict.segment_errors]
        if "1" in verdict.codes:
            problems.append(f"{where}: set {tset.set_id} is not one we read")
        found = SetIn(tset.set_id, group.control, tset.control, verdict.accepted,
                      problems=problems)  # fmt: skip
        if not verdict.accepted:
            return found
        if tset.set_id == "850":
            po = po850.parse(tset)
            order, unmapped = parse_order(partner, po)
            found.po_number, found.content = po.po_number, order
            found.problems += [f"{where}: {p}" for p in unmapped]
            found.view = {"purchase_order": view(po), "order": view(order)}
        elif tset.set_id == "860":
            change = parse_change(partner, pc860.parse(tset))
            found.po_number, found.content, found.view = change["po_number"], change, change
        elif tset.set_id == "997":
            found.content = parse_acks(tset)
            found.view = view(found.content)
        return found

    # ---- outbound ----------------------------------------------------------------------

    def acknowledge(self, received: InterchangeIn, controls: Controls, when: datetime) -> Outbound:
        """The 997 for every group of an interchange received, in the partner's delimiters."""
        partner = self.partner(received.partner or "")
        (one,) = x12.read(received.raw.encode(received.encoding)).interchanges
        groups = []
        for n, group in enumerate(one.groups):
            body = ack.group_997(one, group)
            groups.append(OutGroup("FA", str(controls.gs + n), group.version or partner.version,
                                   [OutSet("997", f"{controls.st + n:04d}", body)]))  # fmt: skip
        return self._outbound(partner, "997", groups, controls, when, "")

    def build(
        self, partner: str, set_id: str, subject: Any, po_raw: str, po_control: str,
        controls: Controls, when: datetime,
    ) -> Outbound:  # fmt: skip
        trading = self.partner(partner)
        po = _purchase_order(po_raw, po_control)
        if set_id == "855":
            body = self._855(po, subject, when)
        elif set_id == "856":
            body = self._856(po, subject)
        elif set_id == "810":
            body = self._810(po, subject)
        else:
            raise ValueError(f"we do not build {set_id}s")
        group = OutGroup(FUNCTIONAL_IDS[set_id], str(controls.gs), trading.version,
                         [OutSet(set_id, f"{controls.st:04d}", body)])  # fmt: skip
        return self._outbound(trading, set_id, [group], controls, when, po.po_number)

    def _855(self, po: po850.PurchaseOrder, subject: Acceptance, when: datetime) -> list:
        ours = {line.line_no: line for line in (subject.order.lines if subject.order else [])}
        pairs = [(line, ours.get(n)) for n, line in enumerate(po.lines, start=1)]
        return poa855.build(po, pairs, subject.erp_number, when.date())

    def _856(self, po: po850.PurchaseOrder, subject: ShipNotice) -> list:
        if not self.company_prefix:
            raise ConfigError("an 856 labels cartons with SSCC-18s", key="edi.gs1_company_prefix",
                              hint="set our GS1 company prefix")  # fmt: skip
        packs = asn856.one_pack(subject.shipment, self.company_prefix, subject.serial)
        return asn856.build(subject.shipment, po, packs)

    def _810(self, po: po850.PurchaseOrder, invoice: Any) -> list:
        buyer = {n: inv810.BuyerLine(line.line_id, line.ids)
                 for n, line in enumerate(po.lines, start=1)}  # fmt: skip
        return inv810.build(invoice, po.po_number, po.order_date, buyer)

    def _outbound(
        self, partner: TradingPartner, set_id: str, groups: list[OutGroup], controls: Controls,
        when: datetime, po_number: str,
    ) -> Outbound:  # fmt: skip
        text = interchange(self.us, partner.party, str(controls.isa), groups, when,
                           partner.delimiters, partner.isa_version)  # fmt: skip
        first = groups[0]
        return Outbound(partner.key, set_id, text, f"{controls.isa:09d}", first.control,
                        first.sets[0].control, po_number)  # fmt: skip

    def send(self, outbound: Outbound) -> str:
        """Deliver by the partner's transport; the file's name is fixed by its control
        number, so sending again after a crash replaces, never doubles, it."""
        partner = self.partner(outbound.partner)
        name = f"{outbound.isa_control}-{outbound.set_id}.x12"
        if partner.transport == "as2":
            return self._send_as2(partner, name, outbound)
        target = folder(self.settings, partner.key, "outbound")
        temporary = target / f".{name}.part"
        temporary.write_text(outbound.text, encoding="utf-8")
        os.replace(temporary, target / name)
        self.api_calls += 1
        return f"file:{name}"

    def _send_as2(self, partner: TradingPartner, name: str, outbound: Outbound) -> str:
        raise ConfigError(
            "AS2 sending is not available yet", key=f"edi.partners.{partner.key}.transport",
            hint="use transport: file",
        )  # fmt: skip


def _purchase_order(raw: str, control: str) -> po850.PurchaseOrder:
    document = x12.read(raw.encode("utf-8"))
    for one in document.interchanges:
        for group in one.groups:
            for tset in group.sets:
                if tset.set_id == "850" and tset.control == control:
                    return po850.parse(tset)
    raise ValueError(f"the interchange holds no 850 with control {control}")


def _free(path: Path) -> Path:
    """The path, or the same name with a number when one is there already."""
    n, candidate = 1, path
    while candidate.exists():
        candidate = path.with_name(f"{path.stem}.{n}{path.suffix}")
        n += 1
    return candidate


def _ms(started: float) -> int:
    return int((time.monotonic() - started) * 1000)


def from_settings(settings: Any) -> EdiConnector:
    return EdiConnector(settings)
