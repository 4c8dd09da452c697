"""People who sign in to the portal: roles, password hashes, demo users and personal API tokens.

Passwords are kept only as werkzeug scrypt hashes; API tokens only as their SHA-256. Every
creation, deletion and revocation writes an audit row, never the secret itself.

A user's session generation ends their sessions server-side: a session carries the generation
of its sign-in, and signing out, a password or role change and "sign out everywhere" bump it,
so every copy of an older session cookie is refused. API tokens are revoked on their own.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from datetime import datetime, timezone

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from core.audit import record_audit
from core.errors import ConfigError
from core.store import session_scope
from core.store.models import ApiToken, AuditLog, User

ROLES = ("coordinator", "steward", "finance", "auditor", "admin")
DEMO_PASSWORD = "demo"  # noqa: S105 - the published password of embedded-mode demo users
MIN_PASSWORD = 10
MIN_DEMO_PASSWORD = 4
TOKEN_PREFIX = "obt_"  # noqa: S105 - a marker, so a leaked token is recognisable in a scan
_USERNAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@-]{0,79}$")
# The audit actions that end a user's sessions, and the reason the person is shown.
SESSION_ENDED = {
    "logout": "the session was signed out",
    "password_changed": "your password was changed",
    "user_role_changed": "your role was changed",
    "sessions_ended": "every session was signed out",
}
# Checked when the user name is unknown, so a miss costs as long as a wrong password.
_DUMMY_HASH = generate_password_hash("not-a-password-of-anyone")


def hash_password(password: str) -> str:
    return generate_password_hash(password, method="scrypt")


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return check_password_hash(password_hash, password)
    except ValueError:  # an unknown hash method in the row: treat as a wrong password
        return False


def _check_password(password: str, least: int = MIN_PASSWORD, note: str = "") -> None:
    if len(password or "") < least:
        raise ConfigError(f"a password has at least {least} characters{note}", key="password")


def _check_role(role: str) -> None:
    if role not in ROLES:
        raise ConfigError(f"unknown role {role!r}", key="role", hint="one of " + ", ".join(ROLES))


def _check_new_user(session: Session, username: str, role: str, password: str, is_demo: bool):
    _check_role(role)
    if not _USERNAME.match(username or ""):
        raise ConfigError(
            "a user name is 1 to 80 letters, digits or . _ @ - and starts with a letter or digit",
            key="username",
        )
    if session.scalar(select(User.id).where(func.lower(User.username) == username.lower())):
        raise ConfigError(f"user {username!r} already exists", key="username")
    if is_demo:
        _check_password(password, MIN_DEMO_PASSWORD)
    else:
        _check_password(password, note=f" ({MIN_DEMO_PASSWORD} for demo users)")


def create_user(
    session: Session,
    username: str,
    role: str,
    password: str,
    *,
    actor: str = "cli",
    is_demo: bool = False,
) -> User:
    """Add a user; ConfigError (key role, username or password) says what is wrong."""
    username = (username or "").strip()
    _check_new_user(session, username, role, password, is_demo)
    user = User(
        username=username, role=role, password_hash=hash_password(password), is_demo=is_demo
    )
    session.add(user)
    session.flush()
    after = {"role": role, "is_demo": is_demo, "active": True}
    record_audit(session, actor, "user_created", "user", username, after=after)
    return user


def ensure_demo_users(session: Session) -> list[str]:
    """One demo user per role, named after the role, password "demo"; only those missing."""
    existing = set(session.scalars(select(User.username)))
    created = []
    for role in ROLES:
        if role not in existing:
            create_user(session, role, role, DEMO_PASSWORD, actor="system", is_demo=True)
            created.append(role)
    return created


def demo_users_exist(session: Session) -> bool:
    return session.scalar(select(func.count(User.id)).where(User.is_demo.is_(True))) > 0


def refuse_demo_users_in_production(database_url: str, mode: str) -> None:
    """Production never starts (portal, scheduler or worker) while a demo user can sign in."""
    if mode != "production":
        return
    with session_scope(database_url) as session:
        if demo_users_exist(session):
            raise ConfigError(
                "demo users exist",
                key="mode",
                hint="remove the demo users before running in production",
            )


def list_users(session: Session) -> list[User]:
    return list(session.scalars(select(User).order_by(User.username)))


def find_user(session: Session, username: str) -> User | None:
    return session.scalar(select(User).where(User.username == (username or "").strip()))


def delete_user(session: Session, username: str, *, actor: str = "cli") -> bool:
    """Remove a user and their API tokens (e.g. demo users before production); audited."""
    user = find_user(session, username)
    if user is None:
        return False
    session.execute(delete(ApiToken).where(ApiToken.user_id == user.id))
    before = {"role": user.role, "is_demo": user.is_demo, "active": user.active}
    session.delete(user)
    record_audit(session, actor, "user_deleted", "user", username, before=before)
    return True


def end_sessions(session: Session, user: User) -> int:
    """Bump the user's session generation, so no session signed in before it is let in again.

    The bump is done in SQL (generation + 1), so two processes ending sessions at once both
    count; the caller writes the audit row that says why (see SESSION_ENDED).
    """
    user.session_generation = User.session_generation + 1
    session.flush()
    session.refresh(user, ["session_generation"])
    return user.session_generation


def session_end_reason(session: Session, username: str) -> str:
    """Why this user's older sessions were ended: the newest audit row that ended them."""
    query = (
        select(AuditLog.action)
        .where(AuditLog.entity == "user", AuditLog.entity_key == username)
        .where(AuditLog.action.in_(SESSION_ENDED))
        .order_by(AuditLog.id.desc())
        .limit(1)
    )
    return SESSION_ENDED.get(session.scalar(query), "the session was ended")


def sign_out(session: Session, user: User) -> None:
    """The person signs out: every copy of every one of their session cookies stops working."""
    end_sessions(session, user)
    record_audit(session, user.username, "logout", "user", user.username)


def sign_out_everywhere(session: Session, user: User, *, actor: str) -> None:
    """End every session of the user (theirs or an admin's choice); tokens stay valid."""
    end_sessions(session, user)
    record_audit(session, actor, "sessions_ended", "user", user.username)


def set_password(session: Session, user: User, password: str, *, actor: str) -> None:
    """A new password; every session signed in with the old one ends. Audited, never stored."""
    _check_password(password)
    user.password_hash = hash_password(password)
    end_sessions(session, user)
    record_audit(session, actor, "password_changed", "user", user.username)


def _is_last_admin(session: Session, user: User) -> bool:
    others = select(func.count(User.id)).where(
        User.role == "admin", User.active.is_(True), User.id != user.id
    )
    return user.role == "admin" and session.scalar(others) == 0


def set_role(session: Session, user: User, role: str, *, actor: str) -> bool:
    """Give the user another role and end their sessions; False when it is already theirs.

    The last active admin keeps the role, so the store is never left without one.
    """
    _check_role(role)
    if role == user.role:
        return False
    if _is_last_admin(session, user):
        raise ConfigError(
            f"{user.username} is the last admin", key="role", hint="make another user admin first"
        )
    before = {"role": user.role}
    user.role = role
    end_sessions(session, user)
    record_audit(session, actor, "user_role_changed", "user", user.username, before, {"role": role})
    return True


def authenticate(session: Session, username: str, password: str) -> User | None:
    """The active user with this name and password, or None; as slow for unknown names."""
    user = find_user(session, username)
    if user is None:
        verify_password(_DUMMY_HASH, password or "")
        return None
    if not verify_password(user.password_hash, password or "") or not user.active:
        return None
    return user


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def create_api_token(session: Session, user: User, name: str) -> tuple[ApiToken, str]:
    """A new personal API token; the clear token is returned once and never stored."""
    name = (name or "").strip()[:80] or "token"
    clear = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(user_id=user.id, name=name, token_hash=hash_token(clear))
    session.add(token)
    session.flush()
    record_audit(
        session,
        user.username,
        "api_token_created",
        "api_token",
        str(token.id),
        after={"name": name},
    )
    return token, clear


def list_api_tokens(session: Session, user_id: int) -> list[ApiToken]:
    query = select(ApiToken).where(ApiToken.user_id == user_id).order_by(ApiToken.id.desc())
    return list(session.scalars(query))


def revoke_api_token(session: Session, user: User, token_id: int) -> bool:
    """Revoke one of this user's own tokens; False when it is not theirs or already revoked."""
    token = session.get(ApiToken, token_id)
    if token is None or token.user_id != user.id or token.revoked:
        return False
    token.revoked = True
    record_audit(
        session,
        user.username,
        "api_token_revoked",
        "api_token",
        str(token.id),
        before={"revoked": False, "name": token.name},
        after={"revoked": True, "name": token.name},
    )
    return True


def user_for_token(session: Session, clear: str) -> User | None:
    """The active user owning this unrevoked token; marks the token as used."""
    if not clear:
        return None
    token = session.scalar(select(ApiToken).where(ApiToken.token_hash == hash_token(clear)))
    if token is None or token.revoked:
        return None
    user = session.get(User, token.user_id)
    if user is None or not user.active:
        return None
    token.last_used_at = datetime.now(timezone.utc)
    return user
