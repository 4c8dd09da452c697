"""People who sign in to the portal: roles, password hashes, demo users and personal API tokens.

Passwords are kept only as werkzeug scrypt hashes; API tokens only as their SHA-256. Every
creation, deletion and revocation writes an audit row, never the secret itself.
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
from core.store.models import ApiToken, User

ROLES = ("coordinator", "steward", "finance", "auditor", "admin")
DEMO_PASSWORD = "demo"  # noqa: S105 - the published password of embedded-mode demo users
MIN_PASSWORD = 10
MIN_DEMO_PASSWORD = 4
TOKEN_PREFIX = "obt_"  # noqa: S105 - a marker, so a leaked token is recognisable in a scan
_USERNAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@-]{0,79}$")
# Checked when the user name is unknown, so a miss costs as long as a wrong password.
_DUMMY_HASH = generate_password_hash("not-a-password-of-anyone")


def hash_password(password: str) -> str:
    return generate_password_hash(password, method="scrypt")


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return check_password_hash(password_hash, password)
    except ValueError:  # an unknown hash method in the row: treat as a wrong password
        return False


def _check_new_user(session: Session, username: str, role: str, password: str, is_demo: bool):
    if role not in ROLES:
        raise ConfigError(f"unknown role {role!r}", key="role", hint="one of " + ", ".join(ROLES))
    if not _USERNAME.match(username or ""):
        raise ConfigError(
            "a user name is 1 to 80 letters, digits or . _ @ - and starts with a letter or digit",
            key="username",
        )
    if session.scalar(select(User.id).where(func.lower(User.username) == username.lower())):
        raise ConfigError(f"user {username!r} already exists", key="username")
    least = MIN_DEMO_PASSWORD if is_demo else MIN_PASSWORD
    if len(password or "") < least:
        raise ConfigError(
            f"a password has at least {least} characters"
            + ("" if is_demo else f" ({MIN_DEMO_PASSWORD} for demo users)"),
            key="password",
        )


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
