"""The EDI page: every transaction set received from or sent to a trading partner, newest
first, with its 997 state; one interchange with its raw text, what we read from it and the
997 beside it; and the raw file as it came or went. Coordinators and admins.

It reads what the edi jobs stored (web/edi_store.py); it never parses or sends X12 itself.
"""

from __future__ import annotations

import codecs
import re

from flask import Blueprint, Response, abort, render_template, request

from core.store.models import EdiInterchange
from web import edi_store, queues
from web.store import db, utcnow

bp = Blueprint("edi", __name__, url_prefix="/edi")
# Past this depth the parsed view shows the rest as JSON text: the JSON is whatever a job
# wrote, and the page's nested lists must not recurse without end.
PARSED_DEPTH = 6
_UNSAFE_IN_NAME = re.compile(r"[^A-Za-z0-9._-]+")


@bp.get("")
def index():
    filters = edi_store.Filters.of(request.args)
    number = request.args.get("page", 1, type=int)
    now = utcnow()
    with db() as store:
        return render_template(
            "edi/index.html",
            page=edi_store.list_documents(store, filters, now, number),
            counts=edi_store.counts(store, filters, now),
            choices=edi_store.choices(store),
            filters=filters,
            states=edi_store.STATES,
            label=edi_store.label,
        )


def _interchange_or_404(store, interchange_id: int) -> EdiInterchange:
    found = edi_store.get_interchange(store, interchange_id)
    if found is None:
        abort(404, f"There is no EDI interchange {interchange_id}.")
    return found


@bp.get("/interchanges/<int:interchange_id>")
def interchange(interchange_id: int):
    now = utcnow()
    with db() as store:
        row = _interchange_or_404(store, interchange_id)
        return render_template(
            "edi/interchange.html",
            row=row,
            state=edi_store.interchange_label(row),
            documents=edi_store.documents_of(store, row.id, now),
            acks=edi_store.acks_of(store, row),
            answers=edi_store.answers(store, row),
            label=edi_store.label,
            tones=edi_store.TONES,
            earlier=edi_store.earlier_ids,
            pretty=queues.pretty_json,
            depth=PARSED_DEPTH,
        )


def raw_bytes(row: EdiInterchange) -> tuple[bytes, str]:
    """The raw text in the encoding it came or went in, and that charset; UTF-8 where the
    stored encoding is unknown to Python or cannot hold the text."""
    charset = row.encoding or "utf-8"
    try:
        codecs.lookup(charset)
        return row.raw.encode(charset), charset
    except (LookupError, UnicodeEncodeError):
        return row.raw.encode("utf-8"), "utf-8"


def raw_name(row: EdiInterchange) -> str:
    name = f"{row.partner}-{row.direction}-{row.isa_control}"
    return f"{_UNSAFE_IN_NAME.sub('_', name).strip('._') or 'interchange'}.x12"


@bp.get("/interchanges/<int:interchange_id>/raw")
def raw(interchange_id: int):
    with db() as store:
        row = _interchange_or_404(store, interchange_id)
        body, charset = raw_bytes(row)
        name = raw_name(row)
    response = Response(body, content_type=f"text/plain; charset={charset}")
    response.headers.set("Content-Disposition", "attachment", filename=name)
    return response
