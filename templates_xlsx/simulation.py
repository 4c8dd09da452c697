"""An upload's simulation against the ERP: the request the portal records, what each row would
meet, whether the latest simulation still stands, and its marked-up workbook.

The portal records the request; apply_uploads carries it out (the portal never calls the ERP)
and stores per row `{"outcome": "would_post" | "would_refuse", "message": ...}`. A simulation
holds for the rows it was asked for: the digest of the rows' changes taken with the request
must still match, or the simulation is void.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from pathlib import Path
from typing import Any

from core.store.models import Upload, UploadRow
from templates_xlsx import get_kind
from templates_xlsx.check import CheckResult
from templates_xlsx.kind import CellError
from templates_xlsx.validate import header_key
from templates_xlsx.writeback import blamed_field, sheet_layout, write_results

WOULD_POST, WOULD_REFUSE = "would_post", "would_refuse"
LABELS = {WOULD_POST: "Would post", WOULD_REFUSE: "Would be refused"}
OPEN_STATES = ("queued", "running")
COLUMNS = ("Simulation", "Simulation message")


def digest(rows: list[UploadRow]) -> str:
    """What the rows ask for, as one fingerprint: a simulation is of exactly these changes."""
    changes = sorted((row.row_number, row.business_key, row.payload) for row in rows)
    text = json.dumps(changes, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def request(upload: Upload, rows: list[UploadRow], who: str, now: datetime) -> dict[str, Any]:
    """Record a new simulation of the upload; earlier row results no longer count."""
    upload.simulation = {
        "state": "queued",
        "requested_by": who,
        "requested_at": now.isoformat(),
        "digest": digest(rows),
    }
    for row in rows:
        row.simulation = None
    return upload.simulation


def current(upload: Upload, rows: list[UploadRow]) -> dict[str, Any] | None:
    """The upload's latest simulation, if it is still of these rows; None when none stands."""
    found = upload.simulation
    if not found or found.get("digest") != digest(rows):
        return None
    return found


def void(upload: Upload, rows: list[UploadRow]) -> bool:
    """Was the upload simulated, and changed since?"""
    return bool(upload.simulation) and current(upload, rows) is None


def refused_rows(upload: Upload, rows: list[UploadRow]) -> list[int]:
    """Excel rows the standing simulation found the ERP would refuse."""
    if current(upload, rows) is None:
        return []
    return [r.row_number for r in rows if (r.simulation or {}).get("outcome") == WOULD_REFUSE]


def label(result: dict[str, Any] | None) -> str:
    """A row's simulation in words: "Would post" or "Would be refused: why"."""
    if not result:
        return ""
    text = LABELS.get(result.get("outcome"), result.get("outcome") or "")
    if result.get("outcome") == WOULD_REFUSE and result.get("message"):
        return f"{text}: {result['message']}"
    return text


def counts(rows: list[UploadRow]) -> dict[str, int]:
    outcomes = [(r.simulation or {}).get("outcome") for r in rows]
    return {outcome: outcomes.count(outcome) for outcome in LABELS}


def workbook_path(data_path: Path, upload_id: int) -> Path:
    return Path(data_path) / "uploads" / "results" / f"{upload_id}-simulation.xlsx"


def write_workbook(upload: Upload, rows: list[UploadRow], out: Path) -> Path:
    """The uploaded file with a Simulation column per row; cells of a refused row marked and
    listed on the Errors sheet; text written formula-safe (core/formula_safety.py)."""
    meta = upload.errors or {}
    source = Path(upload.stored_path or "")
    sheet = meta.get("sheet") or upload.kind
    letters, filled = sheet_layout(source, sheet)
    headers = {name: field.header for name, field in get_kind(upload.kind).fields}
    outcomes = {n: ("unchanged", "Matches current data; nothing to post.") for n in filled}
    errors: list[CellError] = []
    for row in rows:
        result = row.simulation or {}
        outcomes[row.row_number] = (label(result).partition(":")[0], result.get("message", ""))
        if result.get("outcome") == WOULD_REFUSE:
            name = blamed_field(row.payload, headers, letters)
            header = headers.get(name, "")
            errors.append(
                CellError(row.row_number, name, header, letters.get(header_key(header), "A"),
                          "erp_would_refuse", result.get("message") or "", sheet)
            )  # fmt: skip
    result = CheckResult(upload.kind, "valid", rows=upload.rows, errors=errors, sheet=sheet)
    result.template = bool(meta.get("template"))
    tally = counts(rows)
    result.message = (
        f"Simulated against the ERP: {tally[WOULD_POST]} row(s) would post, "
        f"{tally[WOULD_REFUSE]} would be refused. Nothing was posted."
    )
    return write_results(source, result, out, outcomes, COLUMNS)
