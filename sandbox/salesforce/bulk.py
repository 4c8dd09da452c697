"""Bulk API 2.0 ingest jobs: create, upload CSV, close, poll, and the three result sets.

A job is kept in meta. Closing it (state UploadComplete) processes every row through the same
store as the REST API; the job then reports InProgress to status polls until the
`bulk_polls_to_complete`-th poll (meta, default 1), which sees JobComplete, so tests need no
waiting. A CSV column the object lacks fails the whole job, as Salesforce does.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from typing import Any

from sandbox.salesforce.schema import SYSTEM, sf_datetime
from sandbox.salesforce.store import Outcome, RequestError, Store, error
from sandbox.state import SandboxState

OPERATIONS = ("upsert", "update")
RESULT_SETS = ("successfulResults", "failedResults", "unprocessedrecords")
USER_ID = "0055e000000SBOXAAA"

# (row position, external id or Id) -> an error to plant, or None
Planted = Callable[[int, str], dict[str, Any] | None]


class BulkError(Exception):
    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message

    def body(self) -> list[dict[str, str]]:
        return [{"errorCode": self.code, "message": self.message}]


def _key(job_id: str) -> str:
    return f"bulk_job:{job_id}"


def _csv(header: list[str], rows: list[list[str]]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n", quoting=csv.QUOTE_ALL)
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue()


class Bulk:
    def __init__(self, state: SandboxState, store: Store) -> None:
        self.state, self.store = state, store

    def create(self, body: dict[str, Any], version: str) -> dict[str, Any]:
        operation, sobject = body.get("operation"), body.get("object", "")
        if operation not in OPERATIONS:
            raise BulkError(400, "INVALIDJOB", f"InvalidJob : operation {operation} not supported")
        ext_field = body.get("externalIdFieldName")
        if operation == "upsert":
            try:
                self.store.check_external_field(sobject, ext_field or "")
            except RequestError as exc:
                raise BulkError(400, "INVALIDJOB", f"InvalidJob : {exc.message}") from None
        number = int(self.state.meta_get(SYSTEM, "bulk_seq", 0)) + 1
        self.state.meta_set(SYSTEM, "bulk_seq", number)
        job_id = f"750{number:012d}AAA"
        now = sf_datetime(self.state.clock())
        job = {
            "id": job_id,
            "operation": operation,
            "object": sobject,
            "createdById": USER_ID,
            "createdDate": now,
            "systemModstamp": now,
            "state": "Open",
            "externalIdFieldName": ext_field,
            "concurrencyMode": "Parallel",
            "contentType": "CSV",
            "apiVersion": float(version),
            "jobType": "V2Ingest",
            "contentUrl": f"services/data/v{version}/jobs/ingest/{job_id}/batches",
            "lineEnding": "LF",
            "columnDelimiter": "COMMA",
            "numberRecordsProcessed": 0,
            "numberRecordsFailed": 0,
            "retries": 0,
            "totalProcessingTime": 0,
        }
        self._save(job, csv_text="", results={}, polls=0)
        return job

    def _load(self, job_id: str) -> dict[str, Any]:
        stored = self.state.meta_get(SYSTEM, _key(job_id))
        if stored is None:
            raise BulkError(404, "NOT_FOUND", "The requested resource does not exist")
        return stored

    def _save(self, job: dict[str, Any], **extra: Any) -> None:
        stored = self.state.meta_get(SYSTEM, _key(job["id"])) or {}
        stored.update(extra)
        stored["job"] = job
        self.state.meta_set(SYSTEM, _key(job["id"]), stored)

    def upload(self, job_id: str, text: str) -> int:
        stored = self._load(job_id)
        if stored["job"]["state"] != "Open" or stored["csv_text"]:
            raise BulkError(409, "INVALIDJOBSTATE", "Only one upload per job; the job is not Open")
        self._save(stored["job"], csv_text=text)
        return len(text.splitlines()) - 1

    def set_state(self, job_id: str, wanted: str, planted: Planted | None) -> dict[str, Any]:
        stored = self._load(job_id)
        job = stored["job"]
        if wanted == "Aborted" and job["state"] in ("Open", "UploadComplete", "InProgress"):
            job["state"] = "Aborted"
            self._save(job)
            return job
        if wanted != "UploadComplete" or job["state"] != "Open":
            raise BulkError(
                400, "INVALIDJOBSTATE", f"Can't change state {job['state']} to {wanted}"
            )
        job["state"] = "UploadComplete"
        results = self._process(job, stored["csv_text"], planted)
        self._save(job, results=results)
        return job

    def _process(self, job: dict[str, Any], text: str, planted: Planted | None) -> dict[str, str]:
        reader = csv.reader(io.StringIO(text))
        header = next(reader, [])
        rows = [row for row in reader if row]
        success: list[list[str]] = []
        failed: list[list[str]] = []
        key_column = job["externalIdFieldName"] if job["operation"] == "upsert" else "Id"
        try:
            for position, row in enumerate(rows):
                values = dict(zip(header, row, strict=False))
                outcome = self._one(job, values, planted, position, values.get(key_column, ""))
                if outcome.ok:
                    success.append([outcome.id or "", str(outcome.created).lower(), *row])
                else:
                    failed.append([outcome.id or "", outcome.error_text(), *row])
        except RequestError as exc:
            job.update(state="Failed", errorMessage=f"InvalidBatch : {exc.message}")
            return {"unprocessedrecords": _csv(header, rows)}
        job["numberRecordsProcessed"] = len(rows)
        job["numberRecordsFailed"] = len(failed)
        return {
            "successfulResults": _csv(["sf__Id", "sf__Created", *header], success),
            "failedResults": _csv(["sf__Id", "sf__Error", *header], failed),
            "unprocessedrecords": _csv(header, []),
        }

    def _one(
        self,
        job: dict[str, Any],
        values: dict[str, str],
        planted: Planted | None,
        position: int,
        key: str,
    ) -> Outcome:
        problem = planted(position, key) if planted else None
        if problem is not None:
            return Outcome(False, errors=[problem])
        if job["operation"] == "update":
            return self.store.update(values, from_text=True)
        return self.store.upsert(job["object"], job["externalIdFieldName"], values, from_text=True)

    def info(self, job_id: str) -> dict[str, Any]:
        """The job as a status poll sees it; polls move a closed job to JobComplete."""
        stored = self._load(job_id)
        job = stored["job"]
        if job["state"] in ("UploadComplete", "InProgress"):
            polls = stored["polls"] + 1
            needed = int(self.state.meta_get(SYSTEM, "bulk_polls_to_complete", 1))
            job["state"] = "JobComplete" if polls >= needed else "InProgress"
            self._save(job, polls=polls)
        return job

    def results(self, job_id: str, kind: str) -> str:
        stored = self._load(job_id)
        if stored["job"]["state"] not in ("JobComplete", "Failed", "Aborted"):
            raise BulkError(
                409, "INVALIDJOBSTATE", "Results are available once the job has finished"
            )
        return stored["results"].get(kind, "")


def planted_error(message: str = "Rejected by a sandbox validation rule") -> dict[str, Any]:
    return error("FIELD_CUSTOM_VALIDATION_EXCEPTION", message)
