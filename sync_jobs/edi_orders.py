"""A trading partner's PO into the ERP, and its changes after: the EDI side of the order flow.

An 850's order passes the same checks as a Salesforce order (sync_jobs/order_checks.py) and
is entered under its number "EDI-<partner>-<PO>", which is also its external id in the ERP,
so a PO is entered once however often it comes. An order refused here is not entered: its
document says why (the 855 says rejected), and the error queue holds it until someone fixes
the cause and retries. An 860's changes become the rows of an order-change upload, approved
by the partner's instruction, which apply_uploads posts like any other."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from sqlalchemy import select

from connectors import get_connector
from connectors.base import Inbound, SetIn
from core import records as rec
from core.errors import RecordRejectedError
from core.store import models as m
from core.store import session_scope
from core.store.models import EdiDocument, EdiInterchange
from core.store.opcopy import upsert_order
from sync_jobs.base import RunContext
from sync_jobs.flows_common import FlowSettings, bind, erp_keys
from sync_jobs.order_checks import OrderChecks, is_missing, refusal

EDI = "edi"
ACCEPTED, REFUSED = "accepted", "refused"
HINT = (
    "fix the cause (the item master or price list in the ERP, or the partner's cross-"
    "references in edi.partners), then retry it from the error queue"
)


class EdiOrders:
    def __init__(self, settings: Any, flows: FlowSettings) -> None:
        self.settings = settings
        self.url = settings.database_url
        self.erp_system = str(settings.erp)
        self.erp = get_connector(self.erp_system, settings)
        self.edi = get_connector(EDI, settings)
        self.checks = OrderChecks(self.url, self.erp, self.erp_system, flows)

    def api_calls(self) -> int:
        return int(getattr(self.erp, "api_calls", 0))

    def _set(self, doc_id: int) -> tuple[EdiDocument, SetIn]:
        with session_scope(self.url) as session:
            doc = session.get(EdiDocument, doc_id)
            row = session.get(EdiInterchange, doc.interchange_id) if doc else None
            if doc is None or row is None:
                raise RecordRejectedError(f"EDI document {doc_id} is not in the store", system=EDI)
            session.expunge_all()
        (one,) = self.edi.read(
            Inbound(row.partner, row.channel or "", row.raw.encode(row.encoding))
        )
        for found in one.sets:
            if (found.gs_control, found.st_control, found.set_id) == (
                doc.gs_control, doc.st_control, doc.set_id,
            ):  # fmt: skip
                return doc, found
        raise RecordRejectedError(f"set {doc.st_control} is not in its interchange", system=EDI)

    # ---- 850 -------------------------------------------------------------------------

    def enter(self, ctx: RunContext, doc_id: int) -> str:
        doc, found = self._set(doc_id)
        order = found.content
        assert isinstance(order, rec.Order)
        self._mark(doc_id, order_number=order.number)
        in_erp = self._in_erp(order.number)
        if in_erp is not None:
            self._keep(doc_id, order, in_erp.source_key or in_erp.number, in_erp.status)
            return f"PO {found.po_number}: already in the ERP"
        unmapped = [p.split(": ", 1)[-1] for p in found.problems]
        problems = unmapped or self.checks.problems(order)
        if problems:
            message = "; ".join(problems)
            self._mark(doc_id, status=REFUSED, error=message)
            raise RecordRejectedError(
                f"PO {found.po_number}: {message}",
                system=self.erp_system,
                key=order.number,
                error_class="missing" if is_missing(problems) or unmapped else "value",
                code="order_check",
                hint=HINT,
            )
        try:
            number = self._post(order)
        except RecordRejectedError as exc:
            self._mark(doc_id, status=REFUSED, error=exc.message)
            raise
        self._keep(doc_id, order, number, "open")
        return f"PO {found.po_number}: entered as {number}"

    def _in_erp(self, number: str) -> rec.Order | None:
        keys = erp_keys(number)
        return next((o for o in self.erp.read("order", keys) if o.external_id in keys), None)

    def _post(self, order: rec.Order) -> str:
        (result,) = self.erp.upsert("order", [replace(order, source_system=self.erp_system)])
        if result.ok:
            return result.their_id or ""
        raise refusal(result, self.erp_system, order.number, HINT)

    def _keep(self, doc_id: int, order: rec.Order, erp_number: str, status: str) -> None:
        with session_scope(self.url) as session:
            upsert_order(session, replace(order, status=status), erp_number=erp_number)
            bind(session, "order", self.erp_system, order.number, erp_number)
            doc = session.get(EdiDocument, doc_id)
            assert doc is not None
            doc.status, doc.order_number, doc.error = ACCEPTED, order.number, None

    def _mark(self, doc_id: int, **values: Any) -> None:
        with session_scope(self.url) as session:
            doc = session.get(EdiDocument, doc_id)
            assert doc is not None
            for name, value in values.items():
                setattr(doc, name, value)

    # ---- 860 -------------------------------------------------------------------------

    def change(self, ctx: RunContext, doc_id: int) -> str:
        doc, found = self._set(doc_id)
        change = found.content
        number = change["order_number"]
        with session_scope(self.url) as session:
            if session.scalars(select(m.Upload.id).filter_by(
                    kind="order_changes", filename=f"edi-860-{doc_id}")).first():  # fmt: skip
                return f"PO {change['po_number']}: changes handed on before"
            lines = self._line_numbers(session, number)
            rows = [self._row(number, change, line, lines) for line in _lines(change)]
            upload = m.Upload(
                kind="order_changes", filename=f"edi-860-{doc_id}",
                sha256=f"edi-860-{doc_id}".ljust(64, "0")[:64], status="approved",
                uploaded_by=f"edi:{doc.partner}", approved_by=f"edi:{doc.partner}",
                approved_at=ctx.clock.now(), rows=len(rows),
            )  # fmt: skip
            session.add(upload)
            session.flush()
            for n, payload in enumerate(rows, start=2):
                key = f"{payload['order']}/{payload['line']}"
                session.add(m.UploadRow(upload_id=upload.id, row_number=n, business_key=key,
                                        payload=payload, status="pending"))  # fmt: skip
            stored = session.get(EdiDocument, doc_id)
            assert stored is not None
            stored.status, stored.order_number = "changed", number
        return f"PO {change['po_number']}: {len(rows)} change(s) to upload {upload.id}"

    def _line_numbers(self, session: Any, number: str) -> dict[str, int]:
        """The buyer's line ids (PO101) by our line numbers: the 850's lines in order."""
        if session.scalars(select(m.Order.id).filter_by(number=number)).first() is None:
            raise RecordRejectedError(
                f"order {number} is not in the store: its 850 was not entered",
                system=EDI, key=number, error_class="missing",
                hint="enter the PO first (retry its 850 in the error queue), then this change",
            )  # fmt: skip
        po = session.scalars(
            select(EdiDocument).filter_by(
                order_number=number, set_id="850", direction="in", status=ACCEPTED
            )  # fmt: skip
        ).first()
        view = (session.get(EdiInterchange, po.interchange_id).parsed or []) if po else []
        for item in view:
            lines = ((item or {}).get("purchase_order") or {}).get("lines") or []
            if item and (item.get("order") or {}).get("number") == number:
                return {str(line["line_id"]): n for n, line in enumerate(lines, start=1)}
        return {}

    def _row(self, number: str, change: dict, line: dict, lines: dict[str, int]) -> dict:
        line_no = lines.get(str(line["line_id"]))
        where = f"POC line {line['line_id']} (segment {line['position']})"
        if line_no is None and line["change"] != "AI":
            raise RecordRejectedError(
                f"{where}: the PO has no line {line['line_id']}", system=EDI, key=number,
                hint="ask the partner which line the change meant",
            )  # fmt: skip
        if line["change"] == "DI" or change["cancel_all"]:
            return {"order": number, "line": line_no, "action": "cancel",
                    "set": {"status": "cancelled"}}  # fmt: skip
        if line["change"] in ("QD", "QI", "CA", "PC", "RZ") and line["quantity"] is not None:
            values: dict[str, Any] = {"quantity": line["quantity"]}
            if line["requested_date"]:
                values["requested_date"] = line["requested_date"]
            return {"order": number, "line": line_no, "action": "change", "set": values}
        if line["change"] == "RS" or line["requested_date"]:
            return {"order": number, "line": line_no, "action": "change",
                    "set": {"requested_date": line["requested_date"]}}  # fmt: skip
        raise RecordRejectedError(
            f"{where}: change {line['change']} is not one Orderbridge applies",
            system=EDI, key=number,
            hint="apply it in the ERP by hand, and tell the partner",
        )  # fmt: skip


def _lines(change: dict) -> list[dict]:
    if change["cancel_all"] and not change["lines"]:
        raise RecordRejectedError(
            f"PO {change['po_number']}: cancelling the whole order names no lines",
            system=EDI, key=change["order_number"],
            hint="cancel the order in the ERP, or ask the partner for line cancels",
        )  # fmt: skip
    return change["lines"]
