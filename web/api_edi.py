"""The EDI part of the JSON API: the EDI page's list of transaction sets and one interchange,
for scripts. Same authentication and permission table as web/api.py, same reads as the page
(web/edi_store.py).

Its own blueprint under /api/edi, so the area's routes read together and the general API
module stays small.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import Blueprint, abort, jsonify, request, url_for

from core.store.models import EdiDocument, EdiInterchange
from web import edi_store
from web.store import db, utcnow

bp = Blueprint("api_edi", __name__, url_prefix="/api/edi")


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def document_json(doc: EdiDocument, state: str) -> dict[str, Any]:
    return {
        "id": doc.id,
        "interchange_id": doc.interchange_id,
        "partner": doc.partner,
        "direction": doc.direction,
        "set_id": doc.set_id,
        "gs_control": doc.gs_control,
        "st_control": doc.st_control,
        "po_number": doc.po_number,
        "order_number": doc.order_number,
        "status": doc.status,
        "state": state,
        "state_label": edi_store.label(state),
        "error": doc.error,
        "possible_duplicate_of": edi_store.earlier_ids(doc),
        "at": _iso(doc.at),
        "ack_due_at": _iso(doc.ack_due_at),
        "acked_at": _iso(doc.acked_at),
        "ack_code": doc.ack_code,
        "ack_interchange_id": doc.ack_interchange_id,
    }


def _row_json(row: edi_store.Row) -> dict[str, Any]:
    body = document_json(row.document, row.state)
    body["isa_control"] = row.interchange.isa_control
    body["url"] = url_for("api_edi.interchange", interchange_id=row.document.interchange_id)
    return body


def interchange_json(row: EdiInterchange) -> dict[str, Any]:
    """An interchange's envelope, as stored; its raw text at /edi/interchanges/<id>/raw."""
    return {
        "id": row.id,
        "direction": row.direction,
        "partner": row.partner,
        "sender": row.sender,
        "receiver": row.receiver,
        "isa_control": row.isa_control,
        "sets": row.sets.split(),
        "po_numbers": row.po_numbers or [],
        "status": row.status,
        "error": row.error,
        "encoding": row.encoding,
        "channel": row.channel,
        "at": _iso(row.at),
        "ack_due_at": _iso(row.ack_due_at),
        "acked_at": _iso(row.acked_at),
        "processed_at": _iso(row.processed_at),
        "ack_id": row.ack_id,
        "raw_url": url_for("edi.raw", interchange_id=row.id),
    }


@bp.get("")
def index():
    filters = edi_store.Filters.of(request.args)
    number = max(1, request.args.get("page", 1, type=int))
    now = utcnow()
    with db() as store:
        page = edi_store.list_documents(store, filters, now, number)
        return jsonify(
            {
                "total": page.total,
                "page": page.number,
                "pages": page.pages,
                "counts": edi_store.counts(store, filters, now),
                "items": [_row_json(row) for row in page.rows],
            }
        )


@bp.get("/interchanges/<int:interchange_id>")
def interchange(interchange_id: int):
    with db() as store:
        row = edi_store.get_interchange(store, interchange_id)
        if row is None:
            abort(404, f"there is no EDI interchange {interchange_id}")
        body = interchange_json(row)
        body["raw"] = row.raw
        body["parsed"] = row.parsed
        documents = edi_store.documents_of(store, row.id, utcnow())
        body["documents"] = [document_json(doc, state) for doc, state in documents]
        body["acks"] = [
            {**interchange_json(ack.interchange), "answered": [doc.id for doc in ack.answered]}
            for ack in edi_store.acks_of(store, row)
        ]
        return jsonify(body)
