"""The mail folder in the portal: its messages newest first, and one message with its plain
text and its HTML part.

Admins see every message; a coordinator or finance person sees their own role's digests. A
message is opened only by a name the listing holds (core/mail/folder.py resolves it inside the
folder), so no path from a request reaches the disk. The HTML part is served on its own URL
with a CSP sandbox (no script, an opaque origin) and shown in a sandboxed iframe: mail HTML
never runs in the portal's origin.
"""

from __future__ import annotations

from email.message import EmailMessage

from flask import Blueprint, Response, abort, render_template
from flask_login import current_user

from core.mail import folder, mail_folder
from web.store import settings

bp = Blueprint("mail", __name__, url_prefix="/mail")
HTML_POLICY = (
    "sandbox; default-src 'none'; img-src data:; style-src 'unsafe-inline'; "
    "frame-ancestors 'self'; base-uri 'none'; form-action 'none'"
)


def visible(entry: folder.Entry, role: str) -> bool:
    return role == "admin" or (entry.channel == "digest" and entry.group == role)


def _entries() -> list[folder.Entry]:
    return [e for e in folder.listing(mail_folder(settings())) if visible(e, current_user.role)]


def _message(name: str) -> EmailMessage:
    message = folder.read(mail_folder(settings()), name, _entries())
    if message is None:
        abort(404)
    return message


def _part(message: EmailMessage, kind: str) -> str | None:
    body = message.get_body((kind,))
    return body.get_content() if body is not None else None


@bp.get("/")
def index():
    return render_template("mail/index.html", entries=_entries())


@bp.get("/message/<path:name>")
def message(name: str):
    found = _message(name)
    return render_template(
        "mail/message.html",
        name=name,
        message=found,
        text=_part(found, "plain"),
        has_html=_part(found, "html") is not None,
    )


@bp.get("/html/<path:name>")
def html(name: str):
    content = _part(_message(name), "html")
    if content is None:
        abort(404)
    response = Response(content, mimetype="text/html")
    response.headers["Content-Security-Policy"] = HTML_POLICY
    response.headers["X-Frame-Options"] = "SAMEORIGIN"
    return response
