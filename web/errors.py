"""Error answers in the portal's look, JSON under /api/; never a traceback."""

from __future__ import annotations

import logging

from flask import jsonify, render_template, request
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import OperationalError
from werkzeug.exceptions import HTTPException

log = logging.getLogger(__name__)

MESSAGES = {
    400: "The request could not be understood.",
    401: "Sign in, or send a personal API token as Authorization: Bearer <token>.",
    403: "Your role does not give access to this page.",
    404: "There is no such page.",
    405: "This address does not accept that kind of request.",
    429: "Too many requests. Wait a minute and try again.",
    500: "Something went wrong on our side. The error has been logged.",
    503: "The store is not reachable right now. Try again shortly.",
}
CSRF_MESSAGE = (
    "The form was sent without a valid security token, or it expired. "
    "Reload the page and try again."
)


def _answer(code: int, message: str):
    if request.path.startswith("/api/"):
        response = jsonify({"error": message, "status": code})
        response.status_code = code
        if code == 401:
            response.headers["WWW-Authenticate"] = 'Bearer realm="orderbridge"'
        return response
    return render_template("error.html", code=code, message=message), code


def _http_error(exc: HTTPException):
    code = exc.code or 500
    default = MESSAGES.get(code, exc.name)
    # Our own abort() calls carry a message meant for people; werkzeug's defaults do not.
    own = exc.description and exc.description != type(exc).description
    return _answer(code, exc.description if own else default)


def _csrf_error(_exc: CSRFError):
    return _answer(400, CSRF_MESSAGE)


def _store_down(_exc: OperationalError):
    log.exception("store unreachable while serving %s", request.path)
    return _answer(503, MESSAGES[503])


def _unexpected(_exc: Exception):
    log.exception("unexpected error while serving %s", request.path)
    return _answer(500, MESSAGES[500])


def init_errors(app) -> None:
    app.register_error_handler(CSRFError, _csrf_error)
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(OperationalError, _store_down)
    app.register_error_handler(Exception, _unexpected)
