"""apply_uploads: posts the approved rows of spreadsheet uploads to the ERP, one work item per row.

A row's change is worked out against the store just before it is posted: a row whose values
are already in effect (the same rows uploaded twice) settles without a write; a row whose
fields changed since its preview (a later upload touched the same key) is refused rather than
overwriting what nobody reviewed. Posted changes go into the store's operational copy too, so
the next preview diffs against them. When every row of an upload is settled, the results
workbook is written into a copy of the uploaded file. A simulation a person asked for is judged
the same way, row by row, and asks the ERP what it would answer without writing anything
(sync_jobs/simulate_uploads.py).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from connectors import get_connector
from core import records as rec
from core.audit import record_audit
from core.errors import RecordRejectedError, TransientError
from core.store import session_scope
from core.store.models import Upload, UploadRow, WorkItem
from sync_jobs import simulate_uploads
from sync_jobs.base import ItemSpec, Job, RunContext
from templates_xlsx import get_kind, posted_kinds
from templates_xlsx.check import CheckResult
from templates_xlsx.kind import CellError, Change, SheetKind
from templates_xlsx.posting import conflict as conflict_of
from templates_xlsx.posting import in_effect, posted_message, rebase, same_key
from templates_xlsx.preview import row_version
from templates_xlsx.simulation import WOULD_POST, WOULD_REFUSE
from templates_xlsx.validate import header_key
from templates_xlsx.writeback import blamed_field, sheet_layout, write_results

log = logging.getLogger(__name__)
ACTOR = "apply_uploads"
OPEN_UPLOADS = ("approved", "applying")
# Row statuses of a posted change; "scheduled": kept in the store, sent to the ERP on its day.
POSTED = ("done", "scheduled")


def results_path(data_path: Path, upload_id: int) -> Path:
    return Path(data_path) / "uploads" / "results" / f"{upload_id}-results.xlsx"


class ApplyUploads(Job):
    job_id = "apply_uploads"

    def __init__(self, settings: Any) -> None:
        super().__init__(settings)
        self.url = settings.database_url
        self._connector: Any = None

    @property
    def connector(self) -> Any:
        # Connected only when there is something to post: most runs find nothing.
        if self._connector is None:
            self._connector = get_connector(self.settings.erp, self.settings)
        return self._connector

    # --- planning ---------------------------------------------------------------------

    def plan(self, ctx: RunContext) -> Iterable[ItemSpec]:
        specs: list[ItemSpec] = []
        with session_scope(self.url) as session:
            uploads = session.scalars(
                select(Upload)
                .where(Upload.status.in_(OPEN_UPLOADS), Upload.kind.in_(posted_kinds()))
                .order_by(Upload.approved_at, Upload.id)
            ).all()
            for upload in uploads:
                upload.status = "applying"
                for row in _rows(session, upload, "pending"):
                    spec = self._spec(session, upload, row)
                    if spec is not None:
                        specs.append(spec)
                self._finish(session, upload)
            specs += self._retried(session)
            specs += _due(session, _today())
            specs += simulate_uploads.plan(session, self.settings.data_path)
        return specs

    def _retried(self, session: Session) -> list[ItemSpec]:
        """Rows a person retried from the error queue, put back in line to be posted.

        The queue's retry sets the rejected work item back to pending. Carried out as it is,
        it would overtake rows of the same key approved since, and the row itself is settled;
        so the row goes back to pending and its retry becomes a new work item behind every
        item planned so far, where perform judges it against the store as it stands then (a
        change since its preview refuses it, one already in effect is not sent again). The
        item retried is set back to rejected: the new one carries the retry."""
        specs = []
        waiting = session.scalars(
            select(WorkItem)
            .where(WorkItem.job_id == self.job_id, WorkItem.status == "pending")
            .order_by(WorkItem.id)
        )
        for item in waiting:
            payload = item.payload or {}
            if payload.get("effective") or payload.get("simulate") or "row_id" not in payload:
                continue  # a scheduled price's posting retries as it is; a simulation writes none
            row = session.get(UploadRow, payload["row_id"])
            upload = session.get(Upload, payload.get("upload_id"))
            if row is None or upload is None or row.status != "rejected":
                continue
            item.status = "rejected"
            _settle(session, row, "pending", "Retried from the error queue; waits to be posted.")
            upload.status = "applying"
            retry = {**payload, "retry": item.id}
            version = row_version(
                row.business_key, {**row.payload, "row": row.id, "retry": item.id}
            )
            specs.append(ItemSpec(item.business_key, retry, version))
        return specs

    def _spec(self, session: Session, upload: Upload, row: UploadRow) -> ItemSpec | None:
        """The row's work item; None when the row is settled here or must wait its turn."""
        key = f"{upload.kind}:{row.business_key}"
        if _queued(session, self.job_id, key, row.id):
            return None  # in line already (a retry): the runner carries it out
        version = row_version(row.business_key, row.payload)
        payload = {"upload_id": upload.id, "row_id": row.id, "change": row.payload}
        prior = session.scalars(
            select(WorkItem).where(
                WorkItem.job_id == self.job_id,
                WorkItem.business_key == key,
                WorkItem.version == version,
            )
        ).first()
        if prior is None or (prior.payload or {}).get("row_id") == row.id:
            if prior is not None and prior.status == "rejected":
                _settle(session, row, "rejected", prior.last_error or "rejected")
                return None
            return ItemSpec(key, payload, version)
        if prior.status in ("pending", "claimed"):
            return None  # the same change from another upload goes first; judged after it
        if prior.status == "done" and self._in_effect(session, upload.kind, row):
            _settle(session, row, "done", _already(session, upload.kind, prior))
            return None
        # The same change again after something undid it, or a retry of a rejected one.
        return ItemSpec(key, payload, row_version(row.business_key, {**row.payload, "row": row.id}))

    def _in_effect(self, session: Session, kind: str, row: UploadRow) -> bool:
        spec = get_kind(kind)
        return in_effect(row.payload, spec.current(session, [spec.typed_key(row.payload)])[0])

    # --- carrying out -----------------------------------------------------------------

    def perform(self, ctx: RunContext, business_key: str, payload: Any) -> str | None:
        if payload.get("simulate"):
            return self._simulate(payload)
        if payload.get("effective"):
            return self._post_scheduled(payload)
        try:
            with session_scope(self.url) as session:
                upload, row = _load(session, payload)
                if row.status != "pending":
                    return None
                _check_retry(upload, row, payload)
                change = self._change(session, upload, row)
                if in_effect(row.payload, change.current):
                    _settle(session, row, "done", "Already in effect; nothing was sent.")
                    self._finish(session, upload)
                    return None
                conflict = conflict_of(get_kind(upload.kind), row, change.current)
        except RecordRejectedError as exc:
            return self._reject(payload, exc.message, exc.hint)
        if conflict is not None:
            return self._reject(payload, conflict, "download current data and upload it again")
        if change.removes is not None:
            try:
                change.records = self._kept_lines(change.removes)
            except RecordRejectedError as exc:
                return self._reject(payload, exc.message, exc.hint)
        results = self.connector.upsert(change.entity, change.records) if change.records else []
        refused = self._refused(results)
        if refused:
            return self._reject(payload, refused, None)
        self._record_posted(payload, results)
        return None

    def confirm(self, ctx: RunContext, business_key: str, payload: Any) -> bool:
        """After a crash mid-item: if the ERP already holds the change, book it, don't resend."""
        if payload.get("simulate"):
            return False  # a simulation wrote nothing: it is simply run again
        scheduled = bool(payload.get("effective"))
        with session_scope(self.url) as session:
            upload, row = _load(session, payload)
            if row.status != ("scheduled" if scheduled else "pending"):
                return True
            try:
                change = self._change(session, upload, row)
            except RecordRejectedError:
                return False  # perform refuses it with the reason
        if not self._landed(get_kind(upload.kind), change):
            return False
        (self._record_scheduled if scheduled else self._record_posted)(payload, [])
        return True

    # --- simulating before posting ---------------------------------------------------

    def _simulate(self, payload: dict) -> None:
        """A row of a requested simulation: what posting it now would meet, nothing written.
        A system failure (TransientError) propagates: the row waits for the next run."""
        judged = self._judge(payload)
        if judged is not None:
            simulate_uploads.record(self.url, self.settings.data_path, payload, *judged)

    def _judge(self, payload: dict) -> tuple[str, str] | None:
        """(outcome, message) for the row; None when its request was superseded."""
        with session_scope(self.url) as session:
            upload, row = _load(session, payload)
            if not simulate_uploads.asked(upload, row, payload):
                return None
            try:
                change = self._change(session, upload, row)
            except RecordRejectedError as exc:
                return WOULD_REFUSE, exc.message
            if in_effect(row.payload, change.current):
                return WOULD_POST, "Already in effect; nothing would be sent."
            conflict = conflict_of(get_kind(upload.kind), row, change.current)
            key = row.business_key
        if conflict is not None:
            return WOULD_REFUSE, conflict
        try:
            records = self._kept_lines(change.removes) if change.removes else change.records
        except RecordRejectedError as exc:
            return WOULD_REFUSE, exc.message
        results = self.connector.simulate(change.entity, records) if records else []
        return self._simulated(key, results)

    def _simulated(self, key: str, results: list[Any]) -> tuple[str, str]:
        erp = self.settings.erp
        passing = next((r for r in results if r.transient), None)
        if passing is not None:
            raise TransientError(
                passing.message, system=erp, key=key, error_class=passing.error_class
            )
        failed = [r for r in results if not r.ok]
        if failed:
            return WOULD_REFUSE, f"{erp} would refuse: " + "; ".join(r.message for r in failed)
        warnings = "; ".join(w for r in results for w in r.warnings)
        return WOULD_POST, f"Would post to {erp}" + (f" ({warnings})" if warnings else "")

    # --- prices that take effect on a later day ---------------------------------------

    def _post_scheduled(self, payload: dict) -> None:
        """On its day, the price list the store holds is sent, now with the scheduled price in
        effect. The row's before-image stays the one taken when the store took the change: a
        revert restores what was in effect before it, not the row's own values."""
        try:
            with session_scope(self.url) as session:
                upload, row = _load(session, payload)
                if row.status != "scheduled":
                    return None  # posted already
                change = self._change(session, upload, row)
                if not (same_key(row.payload, change.current)
                        and in_effect(row.payload, change.current)):  # fmt: skip
                    _settle(session, row, "done", f"Not posted on {payload['effective']}: a later "
                            "upload or a revert changed this price before its date.")  # fmt: skip
                    self._finish(session, upload)
                    return None
        except RecordRejectedError as exc:
            return self._fail_scheduled(payload, exc.message, exc.hint)
        results = self.connector.upsert(change.entity, change.records)
        refused = self._refused(results)
        if refused:
            return self._fail_scheduled(payload, refused, None)
        self._record_scheduled(payload, results)
        return None

    def _refused(self, results: list[Any]) -> str | None:
        """What the ERP refused among a write's results, as one message; None if nothing."""
        failed = [r for r in results if not r.ok]
        if not failed:
            return None
        message = "; ".join(f"{r.code or 'rejected'}: {r.message}" for r in failed)
        return f"{self.settings.erp} refused: {message}"

    def _record_scheduled(self, payload: dict, results: list[Any]) -> None:
        warnings = [w for r in results for w in r.warnings]
        with session_scope(self.url) as session:
            upload, row = _load(session, payload)
            message = f"Posted to {self.settings.erp} on {_today().isoformat()}"
            _settle(
                session, row, "done", message + (f" ({'; '.join(warnings)})" if warnings else "")
            )
            record_audit(
                session, ACTOR, "upload.post", upload.kind, row.business_key,
                before=row.before, after={**row.payload, "effective": payload["effective"]},
            )  # fmt: skip
            self._finish(session, upload)

    def _fail_scheduled(self, payload: dict, message: str, hint: str | None) -> None:
        """The row stays scheduled (the store holds the price; a revert still undoes it) and
        the failure goes to the error queue, from where a retry posts it."""
        day = payload["effective"]
        with session_scope(self.url) as session:
            _upload, row = _load(session, payload)
            row.message = f"Scheduled for {day}, not posted yet: {message}"[:2000]
            key = row.business_key
        hint = hint or "retry it from the error queue once fixed"
        raise RecordRejectedError(message, system=self.settings.erp, key=key, hint=hint)

    def _kept_lines(self, removes: tuple[str, str]) -> list[Any]:
        """The customer's address book as the ERP holds it now, without the line removed."""
        customer, code = removes
        book = read_book(self.connector, customer)
        if book is None:  # a connector without address book reads (ERP errors raise)
            raise RecordRejectedError(
                f"the {self.settings.erp} connector cannot read the address book of "
                f"customer {customer}, so address {code} was not removed",
                system=self.settings.erp,
                key=f"{customer}/{code}",
                hint=f"remove the address in {self.settings.erp} itself",
            )
        kept = [line for line in book.values() if line.code != code]
        if kept and len(kept) == len(book):
            return []  # already gone from the ERP: only the store follows
        if not kept:
            raise RecordRejectedError(
                f"address {code} is the only address of customer {customer}; it was not removed",
                system=self.settings.erp,
                key=f"{customer}/{code}",
                hint=f"add another address first, or remove it in {self.settings.erp}",
            )
        return kept

    def _landed(self, kind: SheetKind, change: Change) -> bool:
        if change.removes is not None:
            customer, code = change.removes
            book = _readable(lambda: read_book(self.connector, customer))
            return book is not None and f"{customer}/{code}" not in book
        try:
            found = read_back(self.connector, change.entity, change.records)
        except Exception:  # noqa: BLE001 - unreadable means unknown: post again (upserts repeat safely)
            log.warning("could not read back %s; posting again", change.entity, exc_info=True)
            return False
        return found is not None and all(
            kind.same_record(record, found.get(_external_id(record))) for record in change.records
        )

    def _change(self, session: Session, upload: Upload, row: UploadRow) -> Change:
        kind = get_kind(upload.kind)
        if self.settings.erp not in kind.erps:
            raise RecordRejectedError(
                f"{self.settings.erp} does not take {upload.kind} from Orderbridge",
                system=self.settings.erp,
                key=row.business_key,
                hint="master data is maintained in the ERP itself; change it there",
            )
        return kind.change(session, row.payload, self.settings.erp, _today())

    def _record_posted(self, payload: dict, results: list[Any]) -> None:
        warnings = [w for r in results for w in r.warnings]
        with session_scope(self.url) as session:
            upload, row = _load(session, payload)
            change = self._change(session, upload, row)
            rebase(row, change.current)
            change.apply(session)
            kind = get_kind(upload.kind)
            message = posted_message(kind, row.payload, self.settings.erp, _today())
            status = "scheduled" if kind.scheduled_on(row.payload, _today()) else "done"
            _settle(
                session, row, status, message + (f" ({'; '.join(warnings)})" if warnings else "")
            )
            record_audit(
                session, ACTOR, "upload.post", upload.kind, row.business_key,
                before=row.before, after=row.payload,
            )  # fmt: skip
            self._finish(session, upload)

    def _reject(self, payload: dict, message: str, hint: str | None) -> None:
        with session_scope(self.url) as session:
            upload, row = _load(session, payload)
            _settle(session, row, "rejected", message)
            self._finish(session, upload)
            key = row.business_key
        raise RecordRejectedError(message, system=self.settings.erp, key=key, hint=hint)

    # --- settling an upload -----------------------------------------------------------

    def _finish(self, session: Session, upload: Upload) -> None:
        """Once no row waits: the upload's outcome, and its results workbook."""
        session.flush()
        rows = _rows(session, upload)
        if any(r.status == "pending" for r in rows):
            return
        posted = all(r.status in POSTED for r in rows)
        upload.status = "applied" if posted else "partly_applied"
        if upload.stored_path and Path(upload.stored_path).exists():
            out = results_path(self.settings.data_path, upload.id)
            try:
                write_upload_results(upload, rows, out)
                upload.result_path = str(out)
            except Exception:  # noqa: BLE001 - the posting stands; the workbook can be rebuilt
                log.exception("results workbook of upload %s failed", upload.id)
        counts = {s: sum(r.status == s for r in rows) for s in ("done", "rejected")}
        record_audit(
            session, ACTOR, f"upload.{upload.status}", upload.kind, str(upload.id), after=counts
        )

    def api_calls(self) -> int:
        return int(getattr(self._connector, "api_calls", 0)) if self._connector else 0


# --- rows ---------------------------------------------------------------------------------


def _rows(session: Session, upload: Upload, status: str | None = None) -> list[UploadRow]:
    query = select(UploadRow).where(UploadRow.upload_id == upload.id)
    if status:
        query = query.where(UploadRow.status == status)
    return list(session.scalars(query.order_by(UploadRow.row_number)))


def _load(session: Session, payload: dict) -> tuple[Upload, UploadRow]:
    upload = session.get(Upload, payload["upload_id"])
    row = session.get(UploadRow, payload["row_id"])
    if upload is None or row is None:
        raise RecordRejectedError("the upload row no longer exists", key=str(payload))
    return upload, row


def _queued(session: Session, job_id: str, key: str, row_id: int) -> bool:
    """Is a work item of this row waiting or being carried out?"""
    items = session.scalars(
        select(WorkItem.payload).where(
            WorkItem.job_id == job_id,
            WorkItem.business_key == key,
            WorkItem.status.in_(("pending", "claimed")),
        )
    )
    return any((payload or {}).get("row_id") == row_id for payload in items)


def _check_retry(upload: Upload, row: UploadRow, payload: dict) -> None:
    """Refuse a retried row that must not be posted any more (RecordRejectedError)."""
    if "retry" not in payload:
        return
    reverted = (upload.errors or {}).get("reverted_by")
    if reverted:
        raise RecordRejectedError(
            f"upload {upload.id} was reverted by upload {reverted}; the retried row was not sent",
            key=row.business_key,
            hint="upload the change again if it is still wanted",
        )
    if payload.get("change") != row.payload:
        # What a steward approved (and a revert undoes) is the upload row, not the queue's copy.
        raise RecordRejectedError(
            "an upload row's change cannot be edited in the error queue; nothing was sent",
            key=row.business_key,
            hint="retry it unchanged, or upload a corrected workbook",
        )


def _already(session: Session, kind: str, prior: WorkItem) -> str:
    """What a row says when an earlier upload's row made the same change: posted, or kept in
    the store until its day (that one is posted then, this one never)."""
    first = (prior.payload or {}).get("upload_id")
    earlier = session.get(UploadRow, (prior.payload or {}).get("row_id") or 0)
    day = get_kind(kind).scheduled_on(earlier.payload, date.min) if earlier is not None else None
    if earlier is not None and earlier.status == "scheduled" and day is not None:
        return f"Already scheduled with upload {first} for {day.isoformat()}."
    return f"Already posted with upload {first}."


def _settle(session: Session, row: UploadRow, status: str, message: str) -> None:
    row.status, row.message = status, message[:2000]


def _today() -> date:
    return datetime.now(timezone.utc).date()


def _due(session: Session, today: date) -> list[ItemSpec]:
    """A work item for each scheduled price whose day has come, keyed by its row: posted once."""
    specs = []
    rows = session.execute(
        select(UploadRow, Upload.kind)
        .join(Upload, Upload.id == UploadRow.upload_id)
        .where(UploadRow.status == "scheduled")
        .order_by(UploadRow.id)
    )
    for row, kind in rows:
        starts = get_kind(kind).scheduled_on(row.payload, date.min)
        if starts is None or starts > today:
            continue
        day = starts.isoformat()
        payload = {"upload_id": row.upload_id, "row_id": row.id, "effective": day}
        version = row_version(row.business_key, {"row": row.id, "effective": day})
        specs.append(ItemSpec(f"{kind}:{row.business_key}", payload, version))
    return specs


# --- reading back after a crash -----------------------------------------------------------


def _external_id(record: Any) -> str:
    return record.external_id or ""


def read_book(connector: Any, customer: str) -> dict[str, Any] | None:
    """A customer's address book lines in the ERP, by external id; None when it cannot tell."""
    stub = rec.ShipTo(source_system="orderbridge", source_key="", customer_number=customer)
    return read_back(connector, "ship_to", [stub])


def _readable(read: Callable[[], Any]) -> Any:
    try:
        return read()
    except Exception:  # noqa: BLE001 - unreadable means unknown: the job posts again
        log.warning("could not read back from the ERP", exc_info=True)
        return None


def read_back(connector: Any, entity: str, records: list[Any]) -> dict[str, Any] | None:
    """The ERP's current records for these, by external id; None when it cannot tell."""
    if entity == "order" and hasattr(connector, "read"):  # orders read by our external id
        keys = [_external_id(r) for r in records]
        return rec.orders_by_key(connector.read(entity, keys), keys)
    client = getattr(connector, "client", None)
    if client is None or not hasattr(client, "get_list"):
        return None
    from connectors.netsuite.connector import ENTITIES

    owner = {"price": ("inventoryItem", lambda r: r.sku),
             "ship_to": ("customer", lambda r: r.customer_number),
             "order": ("salesOrder", lambda r: r.number)}[entity]  # fmt: skip
    refs = [{"type": owner[0], "externalId": k} for k in sorted({owner[1](r) for r in records})]
    parsed: list[Any] = []
    for status, element in client.get_list(refs):
        if not status.ok or element is None:
            continue
        result = ENTITIES[entity].parse(element)
        parsed.extend(result if isinstance(result, list) else [result])
    return {_external_id(r): r for r in parsed}


# --- the results workbook -----------------------------------------------------------------

OUTCOME = {"done": "posted", "rejected": "failed", "pending": "pending", "scheduled": "scheduled"}


def write_upload_results(upload: Upload, rows: list[UploadRow], out: Path) -> Path:
    """The uploaded file with each row's outcome, refused rows' cells marked and listed."""
    meta = upload.errors or {}
    source = Path(upload.stored_path or "")
    sheet = meta.get("sheet") or upload.kind
    letters, filled = sheet_layout(source, sheet)
    kind = get_kind(upload.kind)
    headers = {name: field.header for name, field in kind.fields}
    outcomes = {n: ("unchanged", "Matches current data; nothing to post.") for n in filled}
    errors: list[CellError] = []
    for row in rows:
        outcomes[row.row_number] = (OUTCOME.get(row.status, row.status), row.message or "")
        if row.status == "rejected":
            name = blamed_field(row.payload, headers, letters)
            header = headers.get(name, "")
            errors.append(
                CellError(row.row_number, name, header, letters.get(header_key(header), "A"),
                          "erp_rejected", row.message or "rejected", sheet)
            )  # fmt: skip
    result = CheckResult(upload.kind, "valid", rows=upload.rows, errors=errors, sheet=sheet)
    result.template = bool(meta.get("template"))
    posted = sum(1 for r in rows if r.status == "done")
    result.message = f"{posted} row(s) posted, {len(errors)} refused by the ERP."
    return write_results(source, result, out, outcomes)
