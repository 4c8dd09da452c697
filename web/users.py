"""The users page (admin): every user and role, change a role, sign a user out everywhere.

Both end the user's sessions in the store; the person sees why at their next request. Users
are added and their passwords set with the CLI (`run.py users`), where no password is echoed.
"""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from core.errors import ConfigError
from core.store.models import User
from core.users import ROLES, list_users, set_role, sign_out_everywhere
from web.store import db

bp = Blueprint("users", __name__, url_prefix="/admin/users")


@bp.get("")
def index():
    with db() as store:
        users = list_users(store)
        return render_template("users.html", users=users, roles=ROLES)


def _user_or_404(store, user_id: int) -> User:
    user = store.get(User, user_id)
    if user is None:
        abort(404, f"There is no user {user_id}.")
    return user


@bp.post("/<int:user_id>/role")
def role(user_id: int):
    new_role = request.form.get("role", "")
    with db() as store:
        user = _user_or_404(store, user_id)
        try:
            changed = set_role(store, user, new_role, actor=current_user.username)
        except ConfigError as exc:
            flash(f"Role not changed: {exc.one_line()}.", "warn")
            return redirect(url_for("users.index"))
        name = user.username
    if changed:
        flash(f"{name} is now {new_role}; their sessions were signed out.", "ok")
    else:
        flash(f"{name} already has the role {new_role}.", "info")
    return redirect(url_for("users.index"))


@bp.post("/<int:user_id>/sign-out")
def sign_out(user_id: int):
    with db() as store:
        user = _user_or_404(store, user_id)
        sign_out_everywhere(store, user, actor=current_user.username)
        name = user.username
    flash(f"{name} was signed out everywhere; their API tokens still work.", "ok")
    return redirect(url_for("users.index"))
