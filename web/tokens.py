"""Personal API tokens: a signed-in person creates and revokes their own; shown once."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user

from core.store.models import User
from core.users import create_api_token, list_api_tokens, revoke_api_token
from web.store import db

bp = Blueprint("tokens", __name__, url_prefix="/account/tokens")


def _page(new_token: str | None = None, status: int = 200):
    with db() as store:
        tokens = list_api_tokens(store, current_user.id)
    page = render_template("tokens.html", tokens=tokens, new_token=new_token)
    # The clear token is in this page only; keep it out of every cache.
    return page, status, {"Cache-Control": "no-store"}


@bp.get("")
def index():
    return _page()


@bp.post("")
def create():
    with db() as store:
        user = store.get(User, current_user.id)
        _, clear = create_api_token(store, user, request.form.get("name", ""))
    return _page(new_token=clear)


@bp.post("/<int:token_id>/revoke")
def revoke(token_id: int):
    with db() as store:
        done = revoke_api_token(store, store.get(User, current_user.id), token_id)
    flash("Token revoked." if done else "No such active token of yours.", "ok" if done else "warn")
    return redirect(url_for("tokens.index"))
