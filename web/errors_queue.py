"""The error queue: records a job rejected, with their payload and hint; edit and retry,
resolve with a comment, assign. Coordinators and admins act; stewards and finance read their
own jobs' errors."""

from __future__ import annotations

import json
from functools import partial

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from core.store.models import JobDefinition
from web import error_store, queues
from web.auth import safe_next
from web.error_store import Filters
from web.queues import ActionRefusedError
from web.store import db, utcnow

bp = Blueprint("errors", __name__, url_prefix="/errors")
PAYLOAD_MAX_CHARS = 1_000_000
BULK_MAX = 500


@bp.get("")
def index():
    filters = Filters.of(request.args)
    number = request.args.get("page", 1, type=int)
    role, me = current_user.role, current_user.username
    with db() as store:
        page = error_store.list_errors(store, filters, role, me, number)
        grid = error_store.open_counts(store, role)
        return render_template(
            "errors/index.html",
            page=page,
            filters=filters,
            grid=grid,
            columns=error_store.grid_columns(grid),
            jobs=error_store.known_jobs(store, role),
            owners=queues.assignees(store, "errors.assign"),
            waiting=error_store.waiting_ids(store, page.rows),
            classes=error_store.CLASSES,
            scope=error_store.READ_SCOPES.get(role, ()),
            ages=queues.AGE_BUCKETS,
            age_bucket=queues.age_bucket,
            now=utcnow(),
        )


# One view for both files: the path's ending says which.
@bp.get("/export.csv", endpoint="export_csv")
@bp.get("/export.xlsx", endpoint="export_xlsx")
def export():
    """Every row the page's filters select, all pages, within the reader's scope."""
    filters = Filters.of(request.args)
    read = partial(
        error_store.export_rows, filters=filters, role=current_user.role, me=current_user.username
    )
    return error_store.DOWNLOAD.respond(read, url_for("errors.index", **filters.args()))


def _error_or_404(store, error_id: int):
    error = error_store.get_error(store, error_id, current_user.role)
    if error is None:
        abort(404, f"There is no record error {error_id} in your queue.")
    return error


def _detail(error_id: int, draft: str | None = None, problem: str | None = None, status=200):
    with db() as store:
        error = _error_or_404(store, error_id)
        item = error_store.latest_item(store, error)
        page = render_template(
            "errors/detail.html",
            error=error,
            item=item,
            job=store.get(JobDefinition, error.job_id),
            refusal=error_store.retry_refusal(error, item),
            waiting=item is not None and item.status in error_store.WAITING,
            payload_text=queues.pretty_json(error.payload),
            draft=draft,
            problem=problem,
            history=error_store.QUEUE.history(store, error),
            others=error_store.other_entries(store, error),
            owners=queues.assignees(store, "errors.assign"),
            pretty=queues.pretty_json,
            now=utcnow(),
        )
    return page, status


@bp.get("/<int:error_id>")
def detail(error_id: int):
    return _detail(error_id)


def _act(error_id: int, action, done: str):
    back = url_for("errors.detail", error_id=error_id)
    return queues.act(lambda store: _error_or_404(store, error_id), action, done, back)


def parse_payload(text: str):
    """The edited payload, or ActionRefusedError naming the line and column of the mistake."""
    if len(text) > PAYLOAD_MAX_CHARS:
        raise ActionRefusedError(f"The payload is over {PAYLOAD_MAX_CHARS:,} characters.", 400)
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        where = f"line {exc.lineno}, column {exc.colno}"
        message = f"The payload is not valid JSON ({where}): {exc.msg}."
        raise ActionRefusedError(message, 400) from exc


@bp.post("/<int:error_id>/payload")
def edit(error_id: int):
    text = request.form.get("payload", "")
    try:
        payload = parse_payload(text)
        with db() as store:
            error = _error_or_404(store, error_id)
            error_store.retry(store, error, current_user.username, payload)
            job_id = error.job_id
    except ActionRefusedError as refused:
        return _detail(error_id, draft=text, problem=refused.message, status=refused.status)
    flash(f"Payload saved; the record waits for the next run of {job_id}.", "ok")
    return redirect(url_for("errors.detail", error_id=error_id))


@bp.post("/<int:error_id>/retry")
def retry(error_id: int):
    def action(store, error):
        error_store.retry(store, error, current_user.username)

    return _act(error_id, action, "Retry queued: the record waits for the job's next run.")


@bp.post("/<int:error_id>/resolve")
def resolve(error_id: int):
    def action(store, error):
        comment = request.form.get("comment")
        error_store.QUEUE.resolve(store, error, current_user.username, comment)

    return _act(error_id, action, "Resolved.")


@bp.post("/<int:error_id>/assign")
def assign(error_id: int):
    owner = request.form.get("owner", "").strip()

    def action(store, error):
        error_store.QUEUE.assign(store, error, current_user.username, owner)

    return _act(error_id, action, f"Assigned to {owner}." if owner else "Unassigned.")


@bp.post("/bulk")
def bulk():
    ids = sorted({int(i) for i in request.form.getlist("ids") if i.isdigit()})[:BULK_MAX]
    what = request.form.get("action")
    back = redirect(safe_next(request.form.get("next") or url_for("errors.index")))
    if what not in ("retry", "resolve") or not ids:
        flash("Tick at least one error, then choose Retry or Resolve.", "warn")
        return back
    comment = request.form.get("comment", "")
    if what == "resolve" and not queues.clean_comment(comment):
        flash("Say in a comment how the selected errors were resolved.", "warn")
        return back
    done, refused = _bulk(ids, what, comment)
    verb = "Retried" if what == "retry" else "Resolved"
    flash(f"{verb} {done} of {len(ids)}.", "ok" if done else "warn")
    for error_id, message in refused[:10]:
        flash(f"#{error_id}: {message}", "warn")
    return back


def _bulk(ids: list[int], what: str, comment: str) -> tuple[int, list[tuple[int, str]]]:
    done, refused = 0, []
    actor, role = current_user.username, current_user.role
    with db() as store:
        for error_id in ids:
            error = error_store.get_error(store, error_id, role)
            try:
                if error is None:
                    raise ActionRefusedError("not in your queue")
                if what == "retry":
                    error_store.retry(store, error, actor)
                else:
                    error_store.QUEUE.resolve(store, error, actor, comment)
                done += 1
            except ActionRefusedError as exc:
                refused.append((error_id, exc.message))
    return done, refused
