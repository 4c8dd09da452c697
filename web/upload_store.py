"""What the Uploads pages read and write in the store and the data folder: who may upload and
approve which kind, the stored workbook files, the uploads a role sees, and a recorded upload's
diff, simulation and progress, all read from its rows."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.store.models import Upload, UploadRow
from templates_xlsx import get_kind, simulation

# Who uploads each kind, and who approves it where the kind's rule asks for a second person.
OWNERS = {"price_list": "steward", "ship_tos": "steward", "order_changes": "coordinator"}
# Upload statuses; "invalid", "refused" and "unchanged" are checks that recorded nothing to post.
WAITING = ("ready", "pending_approval")
RUNNING = ("approved", "applying")
SETTLED = ("applied", "partly_applied")
CLOSED = ("invalid", "refused", "unchanged", "rejected", "withdrawn")
CHUNK = 1 << 16


class TooLargeError(ValueError):
    """The uploaded file is larger than uploads.max_bytes."""


def kinds_for(role: str | None) -> list[str]:
    """The kinds this role uploads; an admin sees every kind but uploads none."""
    return [kind for kind, owner in OWNERS.items() if owner == role]


def visible_kinds(role: str | None) -> list[str]:
    return list(OWNERS) if role == "admin" else kinds_for(role)


def folder(data_path: Path, name: str) -> Path:
    path = Path(data_path) / "uploads" / name
    path.mkdir(parents=True, exist_ok=True)
    return path


def save_upload(stream: IO[bytes], data_path: Path, max_bytes: int) -> Path:
    """Copy the upload under a random name, stopping as soon as it passes max_bytes."""
    path = folder(data_path, "files") / f"{secrets.token_hex(16)}.xlsx"
    size = 0
    with path.open("wb") as out:
        while chunk := stream.read(CHUNK):
            size += len(chunk)
            if size > max_bytes:
                out.close()
                path.unlink(missing_ok=True)
                raise TooLargeError(f"{size:,}+ bytes; at most {max_bytes:,} per workbook")
            out.write(chunk)
    return path


def check_results_path(data_path: Path, upload_id: int) -> Path:
    return folder(data_path, "results") / f"{upload_id}-check.xlsx"


def list_uploads(session: Session, kinds: list[str], limit: int = 100) -> list[Upload]:
    query = select(Upload).where(Upload.kind.in_(kinds)).order_by(Upload.id.desc()).limit(limit)
    return list(session.scalars(query))


def same_upload(session: Session, kind: str, sha256: str, key: str) -> Upload | None:
    """An earlier upload of the same rows that is still waiting or running."""
    for upload in session.scalars(
        select(Upload).where(
            Upload.kind == kind, Upload.sha256 == sha256, Upload.status.in_(WAITING + RUNNING)
        )
    ):
        if (upload.errors or {}).get("idempotency_key") == key:
            return upload
    return None


@dataclass
class RowView:
    row: int
    key: str
    fields: list[tuple[str, Any, Any]]  # header, current, new
    status: str
    message: str
    new: bool
    simulation: dict | None = None  # the standing simulation's outcome and message

    @property
    def simulated(self) -> str:
        return simulation.label(self.simulation)


@dataclass
class UploadView:
    upload: Upload
    rows: list[RowView] = field(default_factory=list)
    errors: list[dict] = field(default_factory=list)
    progress: dict[str, int] = field(default_factory=dict)
    simulation: dict | None = None  # the latest simulation, if it still stands
    simulation_void: bool = False  # simulated, and the rows changed since

    @property
    def simulation_refused(self) -> list[int]:
        return [r.row for r in self.rows if (r.simulation or {}).get("outcome") == "would_refuse"]

    @property
    def simulating(self) -> bool:
        return (self.simulation or {}).get("state") in simulation.OPEN_STATES

    @property
    def counts(self) -> dict[str, int]:
        changed = len(self.rows)
        invalid = len({e["row"] for e in self.errors if e.get("row", 0) > 1})
        total = self.upload.rows
        return {
            "rows": total,
            "invalid": invalid,
            "valid": max(total - invalid, 0),
            "changed": changed,
            "unchanged": max(total - invalid - changed, 0) if not self.errors else 0,
        }

    @property
    def settled_share(self) -> int:
        total = sum(self.progress.values())
        return round(100 * (total - self.progress.get("pending", 0)) / total) if total else 100


def upload_view(session: Session, upload: Upload) -> UploadView:
    kind = get_kind(upload.kind)
    headers = {name: f.header for name, f in kind.fields}
    view = UploadView(
        upload, errors=list(((upload.errors or {}).get("check") or {}).get("errors", []))
    )
    rows = rows_of(session, upload)
    view.simulation = simulation.current(upload, rows)
    view.simulation_void = simulation.void(upload, rows)
    for row in rows:
        before = row.before or {}
        changes = (row.payload or {}).get("set", {})
        fields = [
            (headers.get(n, n.replace("_", " ")), before.get(n), v) for n, v in changes.items()
        ]
        if (row.payload or {}).get("delete"):
            fields = [("(entry)", "present", "removed")]
        view.rows.append(
            RowView(row.row_number, row.business_key, fields, row.status, row.message or "",
                    row.before is None, row.simulation if view.simulation else None)
        )  # fmt: skip
        view.progress[row.status] = view.progress.get(row.status, 0) + 1
    return view


def rows_of(session: Session, upload: Upload) -> list[UploadRow]:
    query = select(UploadRow).where(UploadRow.upload_id == upload.id)
    return list(session.scalars(query.order_by(UploadRow.row_number)))


def simulation_workbook(upload: Upload, rows: list[UploadRow]) -> str | None:
    """The standing simulation's marked-up workbook, once it is written."""
    found = simulation.current(upload, rows) or {}
    path = found.get("workbook") if found.get("state") == "done" else None
    return path if path and Path(path).exists() else None


def awaiting(upload: Upload) -> str | None:
    """Whom a waiting upload waits for, in words; None when it waits for nobody."""
    if upload.status == "pending_approval":
        return f"waits for a {OWNERS.get(upload.kind)} other than {upload.uploaded_by}"
    if upload.status == "ready":
        return f"waits for {upload.uploaded_by} to submit it"
    return None


def may_approve(upload: Upload, username: str, role: str) -> str | None:
    """Why this person may not approve the upload, or None."""
    if upload.status != "pending_approval":
        return f"the upload is {upload.status.replace('_', ' ')}"
    if username == upload.uploaded_by:
        return "the person who uploaded it cannot approve it; a second person must"
    if role != OWNERS.get(upload.kind):
        return f"a {OWNERS.get(upload.kind)} approves {get_kind(upload.kind).title.lower()}"
    return None
