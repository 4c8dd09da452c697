"""post_scheduled_prices: a price an upload made effective from a later day is kept in the
store (NetSuite's price list has no dates) and sent to the ERP on its day (UTC), once; not at
all if a later upload or a revert changed it first. A refusal leaves the row scheduled and
goes to the error queue, from where a retry posts it."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.audit import record_audit
from core.errors import RecordRejectedError
from core.store import session_scope
from core.store.models import Upload, UploadRow
from sync_jobs.apply_uploads import ACTOR, ApplyUploads
from sync_jobs.base import ItemSpec, RunContext
from sync_jobs.upload_rows import load, settle
from templates_xlsx import get_kind
from templates_xlsx.posting import in_effect, same_key
from templates_xlsx.preview import row_version


class PostScheduledPrices(ApplyUploads):
    """The posting of apply_uploads (its change of a row, its refusals, its settling of an
    upload), planned from the scheduled rows whose day has come."""

    job_id = "post_scheduled_prices"

    def plan(self, ctx: RunContext) -> list[ItemSpec]:
        with session_scope(self.url) as session:
            return due(session, ctx.today())

    def perform(self, ctx: RunContext, business_key: str, payload: Any) -> str | None:
        return self._post_scheduled(payload, ctx.today())

    def confirm(self, ctx: RunContext, business_key: str, payload: Any) -> bool:
        """After a crash mid-item: if the ERP already holds the price, book it, don't resend."""
        return self._confirm(payload, "scheduled", self._record_scheduled, ctx.today())

    def _post_scheduled(self, payload: dict, today: date) -> None:
        """On its day, the price list the store holds is sent, now with the scheduled price in
        effect. The row's before-image stays the one taken when the store took the change: a
        revert restores what was in effect before it, not the row's own values."""
        try:
            with session_scope(self.url) as session:
                upload, row = load(session, payload)
                if row.status != "scheduled":
                    return None  # posted already
                change = self.change_of(session, upload, row, today)
                if not (same_key(row.payload, change.current)
                        and in_effect(row.payload, change.current)):  # fmt: skip
                    settle(session, row, "done", f"Not posted on {payload['effective']}: a later "
                            "upload or a revert changed this price before its date.")  # fmt: skip
                    self._finish(session, upload)
                    return None
        except RecordRejectedError as exc:
            return self._fail_scheduled(payload, exc.message, exc.hint)
        results = self.connector.upsert(change.entity, change.records)
        refused = self._refused(results)
        if refused:
            return self._fail_scheduled(payload, refused, None)
        self._record_scheduled(payload, results, today)
        return None

    def _record_scheduled(self, payload: dict, results: list[Any], today: date) -> None:
        warnings = [w for r in results for w in r.warnings]
        with session_scope(self.url) as session:
            upload, row = load(session, payload)
            message = f"Posted to {self.settings.erp} on {today.isoformat()}"
            settle(
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
            _upload, row = load(session, payload)
            row.message = f"Scheduled for {day}, not posted yet: {message}"[:2000]
            key = row.business_key
        hint = hint or "retry it from the error queue once fixed"
        raise RecordRejectedError(message, system=self.settings.erp, key=key, hint=hint)


def due(session: Session, today: date) -> list[ItemSpec]:
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
