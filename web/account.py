"""The person's own account: change the password, sign out everywhere.

Both end the person's other sessions in the store (core.users session generation); a password
change keeps the browser that made it signed in, under a fresh session.
"""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_user, logout_user

from core.errors import ConfigError
from core.store.models import User
from core.users import set_password, sign_out_everywhere, verify_password
from web.auth import PortalUser
from web.store import db

bp = Blueprint("account", __name__, url_prefix="/account")


def _page(error: str | None = None, status: int = 200):
    return render_template("account.html", error=error), status


@bp.get("")
def index():
    return _page()


def _new_password_problem(user: User, form) -> str | None:
    if not verify_password(user.password_hash, form.get("current", "")):
        return "The current password is wrong."
    if form.get("new", "") != form.get("confirm", ""):
        return "The new password and its confirmation differ."
    return None


def _sign_in_again(user: User) -> None:
    """This browser stays signed in, under the user's new generation and a new session."""
    session.clear()
    login_user(PortalUser.of(user))
    session.permanent = True


@bp.post("/password")
def password():
    with db() as store:
        user = store.get(User, current_user.id)
        problem = _new_password_problem(user, request.form)
        if problem is None:
            try:
                set_password(store, user, request.form["new"], actor=user.username)
            except ConfigError as exc:
                problem = f"The new password is refused: {exc.message}."
        if problem:
            return _page(problem, 400)
        _sign_in_again(user)
    flash("Password changed. Every other session of yours was signed out.", "ok")
    return redirect(url_for("account.index"))


@bp.post("/sign-out-everywhere")
def everywhere():
    with db() as store:
        sign_out_everywhere(store, store.get(User, current_user.id), actor=current_user.username)
    logout_user()
    session.clear()
    flash("You were signed out everywhere. API tokens still work; revoke them separately.", "ok")
    return redirect(url_for("auth.login"))
