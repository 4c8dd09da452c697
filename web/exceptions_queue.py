"""The exception queue: late, lost or damaged shipments and invoice discrepancies the jobs
found, most urgent SLA first; assign and resolve with a comment. Coordinators and admins act
on every case; finance on the invoice and reconciliation cases the jobs give them."""

from __future__ import annotations

from functools import partial

from flask import Blueprint, abort, render_template, request, url_for
from flask_login import current_user

from web import exception_store, queues
from web.exception_store import Filters, Sla
from web.store import db, utcnow

bp = Blueprint("exceptions", __name__, url_prefix="/exceptions")


def mine() -> tuple[str, ...]:
    """Whose cases are mine: the jobs assign new cases to a role, people to a user name."""
    return (current_user.username, current_user.role)


@bp.get("")
def index():
    filters = Filters.of(request.args)
    number = request.args.get("page", 1, type=int)
    role, now = current_user.role, utcnow()
    with db() as store:
        page = exception_store.list_exceptions(store, filters, role, mine(), number)
        return render_template(
            "exceptions/index.html",
            page=page,
            filters=filters,
            by_kind=exception_store.open_by_kind(store, role, now),
            kinds=exception_store.kinds(store, role),
            owners=queues.assignees(store, "exceptions.assign"),
            ages=queues.AGE_BUCKETS,
            slas=exception_store.SLA_FILTERS,
            scope=exception_store.SCOPES.get(role, ()),
            sla=lambda row: Sla.of(row, now),
            money=exception_store.money,
            now=now,
        )


# One view for both files: the path's ending says which.
@bp.get("/export.csv", endpoint="export_csv")
@bp.get("/export.xlsx", endpoint="export_xlsx")
def export():
    """Every row the page's filters select, all pages, within the reader's scope."""
    filters = Filters.of(request.args)
    read = partial(
        exception_store.export_rows, filters=filters, role=current_user.role, mine=mine()
    )
    return exception_store.DOWNLOAD.respond(read, url_for("exceptions.index", **filters.args()))


def _exception_or_404(store, exception_id: int):
    row = exception_store.get_exception(store, exception_id, current_user.role)
    if row is None:
        abort(404, f"There is no exception {exception_id} in your queue.")
    return row


@bp.get("/<int:exception_id>")
def detail(exception_id: int):
    now = utcnow()
    with db() as store:
        row = _exception_or_404(store, exception_id)
        return render_template(
            "exceptions/detail.html",
            row=row,
            sla=Sla.of(row, now),
            money=exception_store.money,
            details_text=queues.pretty_json(row.details) if row.details else None,
            history=exception_store.QUEUE.history(store, row),
            owners=queues.assignees(store, "exceptions.assign"),
            pretty=queues.pretty_json,
            now=now,
        )


def _act(exception_id: int, action, done: str):
    back = url_for("exceptions.detail", exception_id=exception_id)
    return queues.act(lambda store: _exception_or_404(store, exception_id), action, done, back)


@bp.post("/<int:exception_id>/resolve")
def resolve(exception_id: int):
    def action(store, row):
        comment = request.form.get("comment")
        exception_store.QUEUE.resolve(store, row, current_user.username, comment)

    return _act(exception_id, action, "Resolved.")


@bp.post("/<int:exception_id>/assign")
def assign(exception_id: int):
    owner = request.form.get("owner", "").strip()

    def action(store, row):
        exception_store.QUEUE.assign(store, row, current_user.username, owner)

    return _act(exception_id, action, f"Assigned to {owner}." if owner else "Unassigned.")
