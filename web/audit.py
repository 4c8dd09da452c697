"""The Audit pages: draw a reproducible sample (population, dates, size, seed, strata), download
its review workbook, upload the filled review as evidence with its findings, and close a
finding once it is dealt with. Open findings are listed on the auditor's home page."""

from __future__ import annotations

import secrets
from datetime import date
from pathlib import Path

from flask import Blueprint, abort, flash, redirect, render_template, request, send_file, url_for
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import Session

from core.audit import record_audit
from core.store.models import Upload, UploadRow
from templates_xlsx.audit_review import SAMPLE_KIND, upload_params
from templates_xlsx.check import check_upload
from templates_xlsx.kind import jsonable
from templates_xlsx.sampling import POPULATIONS, STRATA, draw_sample
from web.store import db, settings
from web.upload_store import TooLargeError, folder, save_upload

bp = Blueprint("audit", __name__, url_prefix="/audit")
REVIEW_KIND = "audit_review"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MAX_SAMPLE = 1000


def open_findings(session: Session, limit: int | None = None) -> list[UploadRow]:
    query = (
        select(UploadRow)
        .join(Upload, Upload.id == UploadRow.upload_id)
        .where(Upload.kind == REVIEW_KIND, UploadRow.status == "open")
        .order_by(UploadRow.id.desc())
    )
    return list(session.scalars(query.limit(limit) if limit else query))


@bp.get("")
def index():
    with db() as session:
        samples = session.scalars(
            select(Upload).where(Upload.kind == SAMPLE_KIND).order_by(Upload.id.desc()).limit(100)
        ).all()
        findings = open_findings(session)
        session.expunge_all()
    return render_template(
        "audit/index.html",
        samples=samples,
        findings=findings,
        populations=list(POPULATIONS),
        strata=STRATA,
        params=upload_params,
    )


def _form_params() -> tuple[str, date, date, int, int, str | None]:
    form = request.form
    population = form.get("population", "")
    if population not in POPULATIONS:
        raise ValueError("choose orders, shipments or invoices")
    start, end = date.fromisoformat(form["date_from"]), date.fromisoformat(form["date_to"])
    if end < start:
        raise ValueError("the end date is before the start date")
    size, seed = int(form["size"]), int(form["seed"])
    if not 1 <= size <= MAX_SAMPLE:
        raise ValueError(f"the size is 1 to {MAX_SAMPLE}")
    stratify = form.get("stratify") or None
    if stratify not in (None, *STRATA):
        raise ValueError("stratify by customer or value, or not at all")
    return population, start, end, size, seed, stratify


@bp.post("/samples")
def draw():
    try:
        params = _form_params()
    except (KeyError, ValueError) as exc:
        flash(f"Not drawn: {exc}.", "warn")
        return redirect(url_for("audit.index"))
    out = folder(settings().data_path, "samples") / f"drawing-{secrets.token_hex(8)}.xlsx"
    sample = draw_sample(settings(), *params, out=out, actor=current_user.username)
    final = out.with_name(f"sample-{sample.id}.xlsx")
    out.replace(final)
    with db() as session:
        session.get(Upload, sample.id).stored_path = str(final)
    flash(
        f"Sample {sample.id}: {len(sample.records)} {params[0]} drawn with seed {params[4]}.", "ok"
    )
    return redirect(url_for("audit.sample", sample_id=sample.id))


def _sample(session: Session, sample_id: int) -> Upload:
    found = session.get(Upload, sample_id)
    if found is None or found.kind != SAMPLE_KIND:
        abort(404, f"There is no sample {sample_id}.")
    return found


@bp.get("/samples/<int:sample_id>")
def sample(sample_id: int):
    with db() as session:
        found = _sample(session, sample_id)
        records = session.scalars(
            select(UploadRow).where(UploadRow.upload_id == sample_id).order_by(UploadRow.row_number)
        ).all()
        reviews = _reviews(session, sample_id)
        rows = {r.id: _review_rows(session, r.id) for r in reviews}
        session.expunge_all()
    return render_template(
        "audit/sample.html",
        sample=found,
        params=upload_params(found),
        records=records,
        reviews=reviews,
        review_rows=rows,
    )


def _reviews(session: Session, sample_id: int) -> list[Upload]:
    reviews = session.scalars(
        select(Upload).where(Upload.kind == REVIEW_KIND).order_by(Upload.id.desc())
    )
    return [r for r in reviews if (r.errors or {}).get("sample") == sample_id]


def _review_rows(session: Session, review_id: int) -> list[UploadRow]:
    query = select(UploadRow).where(UploadRow.upload_id == review_id)
    return list(session.scalars(query.order_by(UploadRow.row_number)))


@bp.get("/samples/<int:sample_id>/workbook")
def workbook(sample_id: int):
    with db() as session:
        path = _sample(session, sample_id).stored_path
    if not path or not Path(path).exists():
        abort(404, "The review workbook of this sample is not kept; draw it again.")
    return send_file(
        path, mimetype=XLSX, as_attachment=True, download_name=f"sample-{sample_id}-review.xlsx"
    )


@bp.post("/samples/<int:sample_id>/review")
def review(sample_id: int):
    with db() as session:
        _sample(session, sample_id)
    sent = request.files.get("file")
    if sent is None or not sent.filename:
        flash("Choose the filled review workbook to upload.", "warn")
        return redirect(url_for("audit.sample", sample_id=sample_id))
    try:
        path = save_upload(sent.stream, settings().data_path, int(settings().uploads.max_bytes))
    except TooLargeError as exc:
        flash(f"The workbook is too large: {exc}.", "warn")
        return redirect(url_for("audit.sample", sample_id=sample_id))
    result = check_upload(settings(), REVIEW_KIND, path)
    drawn = _sample_of(result)
    if result.status == "valid" and drawn != str(sample_id):
        result.status, result.message = "invalid", f"This is the review of sample {drawn}."
    with db() as session:
        _store_review(session, sample_id, sent.filename, path, result)
    level = "ok" if result.status == "valid" else "warn"
    flash(f"Review {result.status}: {result.message}", level)
    return redirect(url_for("audit.sample", sample_id=sample_id))


def _sample_of(result) -> str | None:
    if result.table is None or not len(result.table):
        return None
    return str(result.table.columns["sample"][0])


def _store_review(session: Session, sample_id: int, filename: str, path: Path, result) -> None:
    """Keep the review as evidence: its rows, a failed one as an open finding."""
    valid = result.status == "valid"
    if not valid and result.status == "refused":
        path.unlink(missing_ok=True)
    evidence = Upload(
        kind=REVIEW_KIND,
        filename=filename[:255],
        sha256=result.sha256 or "",
        status="evidence" if valid else result.status,
        uploaded_by=current_user.username,
        rows=result.rows,
        errors={"sample": sample_id, "check": result.to_json()},
        stored_path=str(path) if result.status != "refused" else None,
    )
    session.add(evidence)
    session.flush()
    if valid:
        for index, number in enumerate(result.table.row_numbers):
            values = jsonable(result.table.row(index))
            session.add(
                UploadRow(
                    upload_id=evidence.id,
                    row_number=number,
                    business_key=str(values["record"]),
                    payload=values,
                    status="open" if values["result"] == "fail" else "pass",
                )
            )
    record_audit(session, current_user.username, f"audit.review.{evidence.status}", REVIEW_KIND,
                 str(evidence.id), after={"sample": sample_id, "rows": result.rows})  # fmt: skip


@bp.post("/findings/<int:finding_id>/close")
def close_finding(finding_id: int):
    comment = (request.form.get("comment") or "").strip()[:500]
    with db() as session:
        row = session.get(UploadRow, finding_id)
        review = session.get(Upload, row.upload_id) if row is not None else None
        if row is None or review is None or review.kind != REVIEW_KIND or row.status != "open":
            abort(404, f"There is no open finding {finding_id}.")
        row.status, row.message = "closed", comment or "closed"
        record_audit(session, current_user.username, "audit.finding.close", REVIEW_KIND,
                     str(finding_id), before={"status": "open"},
                     after={"status": "closed", "comment": comment})  # fmt: skip
        sample_id = (review.errors or {}).get("sample")
    flash(f"Finding on {row.business_key} closed.", "ok")
    target = request.form.get("next") or ""
    if target == "home":
        return redirect(url_for("home.index"))
    return redirect(url_for("audit.sample", sample_id=sample_id))
