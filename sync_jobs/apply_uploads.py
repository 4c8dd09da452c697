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
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from connectors import get_connector
from core.audit import record_audit
from core.errors import RecordRejectedError
from core.store import session_scope
from core.store.models import Upload, UploadRow, WorkItem
from sync_jobs import simulate_uploads
from sync_jobs.base import ItemSpec, Job, RunContext
from sync_jobs.erp_read_back import kept_lines, landed
from sync_jobs.upload_rows import already, check_retry, load, queued, rows_of, settle
from templates_xlsx import get_kind, posted_kinds
from templates_xlsx.kind import Change
from templates_xlsx.posting import conflict as conflict_of
from templates_xlsx.posting import in_effect, posted_message, rebase
from templates_xlsx.preview import row_version
from templates_xlsx.writeback import results_path, write_upload_results

log = logging.getLogger(__name__)
ACTOR = "apply_uploads"
OPEN_UPLOADS = ("approved", "applying")
# Row statuses of a posted change; "scheduled": kept in the store, sent to the ERP on its day.
POSTED = ("done", "scheduled")


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
                for row in rows_of(session, upload, "pending"):
                    spec = self._spec(session, upload, row)
                    if spec is not None:
                        specs.append(spec)
                self._finish(session, upload)
            specs += self._retried(session)
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
            if payload.get("simulate") or "row_id" not in payload:
                continue  # a simulation writes nothing
            row = session.get(UploadRow, payload["row_id"])
            upload = session.get(Upload, payload.get("upload_id"))
            if row is None or upload is None or row.status != "rejected":
                continue
            item.status = "rejected"
            settle(session, row, "pending", "Retried from the error queue; waits to be posted.")
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
        if queued(session, self.job_id, key, row.id):
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
                settle(session, row, "rejected", prior.last_error or "rejected")
                return None
            return ItemSpec(key, payload, version)
        if prior.status in ("pending", "claimed"):
            return None  # the same change from another upload goes first; judged after it
        if prior.status == "done" and self._in_effect(session, upload.kind, row):
            settle(session, row, "done", already(session, upload.kind, prior))
            return None
        # The same change again after something undid it, or a retry of a rejected one.
        return ItemSpec(key, payload, row_version(row.business_key, {**row.payload, "row": row.id}))

    def _in_effect(self, session: Session, kind: str, row: UploadRow) -> bool:
        spec = get_kind(kind)
        return in_effect(row.payload, spec.current(session, [spec.typed_key(row.payload)])[0])

    # --- carrying out -----------------------------------------------------------------

    def perform(self, ctx: RunContext, business_key: str, payload: Any) -> str | None:
        if payload.get("simulate"):
            return simulate_uploads.carry_out(self, payload, ctx.today())
        try:
            with session_scope(self.url) as session:
                upload, row = load(session, payload)
                if row.status != "pending":
                    return None
                check_retry(upload, row, payload)
                change = self.change_of(session, upload, row, ctx.today())
                if in_effect(row.payload, change.current):
                    settle(session, row, "done", "Already in effect; nothing was sent.")
                    self._finish(session, upload)
                    return None
                conflict = conflict_of(get_kind(upload.kind), row, change.current)
        except RecordRejectedError as exc:
            return self._reject(payload, exc.message, exc.hint)
        if conflict is not None:
            return self._reject(payload, conflict, "download current data and upload it again")
        if change.removes is not None:
            try:
                change.records = kept_lines(self.connector, self.settings.erp, change.removes)
            except RecordRejectedError as exc:
                return self._reject(payload, exc.message, exc.hint)
        results = self.connector.upsert(change.entity, change.records) if change.records else []
        refused = self._refused(results)
        if refused:
            return self._reject(payload, refused, None)
        self._record_posted(payload, results, ctx.today())
        return None

    def confirm(self, ctx: RunContext, business_key: str, payload: Any) -> bool:
        """After a crash mid-item: if the ERP already holds the change, book it, don't resend."""
        if payload.get("simulate"):
            return False  # a simulation wrote nothing: it is simply run again
        return self._confirm(payload, "pending", self._record_posted, ctx.today())

    def _confirm(
        self, payload: dict, waiting: str, book: Callable[[dict, list, date], None], today: date
    ) -> bool:
        with session_scope(self.url) as session:
            upload, row = load(session, payload)
            if row.status != waiting:
                return True
            try:
                change = self.change_of(session, upload, row, today)
            except RecordRejectedError:
                return False  # perform refuses it with the reason
        if not landed(self.connector, get_kind(upload.kind), change):
            return False
        book(payload, [], today)
        return True

    def _refused(self, results: list[Any]) -> str | None:
        """What the ERP refused among a write's results, as one message; None if nothing."""
        failed = [r for r in results if not r.ok]
        if not failed:
            return None
        message = "; ".join(f"{r.code or 'rejected'}: {r.message}" for r in failed)
        return f"{self.settings.erp} refused: {message}"

    def change_of(self, session: Session, upload: Upload, row: UploadRow, today: date) -> Change:
        """The row as a Change against the store now (RecordRejectedError: it cannot be)."""
        kind = get_kind(upload.kind)
        if self.settings.erp not in kind.erps:
            raise RecordRejectedError(
                f"{self.settings.erp} does not take {upload.kind} from Orderbridge",
                system=self.settings.erp,
                key=row.business_key,
                hint="master data is maintained in the ERP itself; change it there",
            )
        return kind.change(session, row.payload, self.settings.erp, today)

    def _record_posted(self, payload: dict, results: list[Any], today: date) -> None:
        warnings = [w for r in results for w in r.warnings]
        with session_scope(self.url) as session:
            upload, row = load(session, payload)
            change = self.change_of(session, upload, row, today)
            rebase(row, change.current)
            change.apply(session)
            kind = get_kind(upload.kind)
            message = posted_message(kind, row.payload, self.settings.erp, today)
            status = "scheduled" if kind.scheduled_on(row.payload, today) else "done"
            settle(
                session, row, status, message + (f" ({'; '.join(warnings)})" if warnings else "")
            )
            record_audit(
                session, ACTOR, "upload.post", upload.kind, row.business_key,
                before=row.before, after=row.payload,
            )  # fmt: skip
            self._finish(session, upload)

    def _reject(self, payload: dict, message: str, hint: str | None) -> None:
        with session_scope(self.url) as session:
            upload, row = load(session, payload)
            settle(session, row, "rejected", message)
            self._finish(session, upload)
            key = row.business_key
        raise RecordRejectedError(message, system=self.settings.erp, key=key, hint=hint)

    # --- settling an upload -----------------------------------------------------------

    def _finish(self, session: Session, upload: Upload) -> None:
        """Once no row waits: the upload's outcome, and its results workbook."""
        session.flush()
        rows = rows_of(session, upload)
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
