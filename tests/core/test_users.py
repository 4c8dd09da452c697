"""core.users and core.audit: the contracts the CLI, the scheduler and the portal share."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from core.audit import REDACTED, record_audit
from core.errors import ConfigError
from core.store import session_scope
from core.store.models import AuditLog, User
from core.users import (
    ROLES,
    authenticate,
    create_api_token,
    create_user,
    delete_user,
    demo_users_exist,
    end_sessions,
    ensure_demo_users,
    find_user,
    hash_password,
    list_users,
    revoke_api_token,
    session_end_reason,
    set_password,
    set_role,
    sign_out,
    sign_out_everywhere,
    user_for_token,
    verify_password,
)


def test_password_hashes_are_scrypt_and_salted():
    first, second = hash_password("correct horse"), hash_password("correct horse")
    assert first.startswith("scrypt:") and first != second
    assert verify_password(first, "correct horse")
    assert not verify_password(first, "correct hors")
    assert not verify_password("md5$nonsense", "correct horse")


def test_demo_users_are_one_per_role_and_created_once(db_url):
    with session_scope(db_url) as session:
        assert not demo_users_exist(session)
        assert ensure_demo_users(session) == list(ROLES)
    with session_scope(db_url) as session:
        assert ensure_demo_users(session) == []
        users = list_users(session)
        assert demo_users_exist(session)
        assert sorted((u.username, u.role, u.is_demo) for u in users) == sorted(
            (role, role, True) for role in ROLES
        )
        assert authenticate(session, "admin", "demo").role == "admin"
        created = session.scalars(select(AuditLog).where(AuditLog.action == "user_created"))
        assert sorted(row.entity_key for row in created) == sorted(ROLES)


@pytest.mark.parametrize(
    ("username", "role", "password", "key"),
    [
        ("ann", "wizard", "long enough pw", "role"),
        ("", "admin", "long enough pw", "username"),
        ("bad name", "admin", "long enough pw", "username"),
        ("ann", "admin", "short", "password"),
    ],
)
def test_create_user_names_what_is_wrong(db_url, username, role, password, key):
    with pytest.raises(ConfigError) as info, session_scope(db_url) as session:
        create_user(session, username, role, password)
    assert info.value.key == key


def test_duplicate_user_names_are_refused_whatever_the_case(db_url):
    with session_scope(db_url) as session:
        create_user(session, "Ann", "finance", "long enough pw")
    with pytest.raises(ConfigError) as info, session_scope(db_url) as session:
        create_user(session, "ann", "admin", "another long pw")
    assert info.value.key == "username"


def test_audit_rows_never_hold_a_password_or_token(db_url):
    with session_scope(db_url) as session:
        user = create_user(session, "ann", "admin", "s3cret-password", actor="tester")
        _, clear = create_api_token(session, user, "cron")
        record_audit(
            session, "tester", "odd", "x", "1", after={"password": "p", "nested": {"token": "t"}}
        )
    with session_scope(db_url) as session:
        rows = list(session.scalars(select(AuditLog)))
    text = repr([(r.before, r.after, r.entity_key) for r in rows])
    assert "s3cret-password" not in text and clear not in text
    assert rows[-1].after == {"password": REDACTED, "nested": {"token": REDACTED}}


def test_tokens_are_stored_as_sha256_and_stop_working_when_revoked(db_url):
    with session_scope(db_url) as session:
        user = create_user(session, "ann", "admin", "long enough pw")
        token, clear = create_api_token(session, user, "cron")
        assert token.token_hash != clear and len(token.token_hash) == 64
        assert user_for_token(session, clear).username == "ann"
        assert user_for_token(session, clear + "x") is None
        assert revoke_api_token(session, user, token.id)
        assert user_for_token(session, clear) is None


def test_delete_user_removes_the_demo_users(db_url):
    with session_scope(db_url) as session:
        ensure_demo_users(session)
        user = session.scalar(select(User).where(User.username == "admin"))
        create_api_token(session, user, "cron")
    with session_scope(db_url) as session:
        for role in ROLES:
            assert delete_user(session, role, actor="tester")
    with session_scope(db_url) as session:
        assert not demo_users_exist(session)


def test_ending_sessions_counts_up_in_the_store_even_from_two_sessions(db_url):
    with session_scope(db_url) as session:
        create_user(session, "maria", "steward", "maria-password")
    with session_scope(db_url) as first, session_scope(db_url) as second:
        end_sessions(first, find_user(first, "maria"))
        first.commit()
        # A second process holding the old value still adds one: the bump is done in SQL.
        assert end_sessions(second, find_user(second, "maria")) == 2
    with session_scope(db_url) as session:
        assert find_user(session, "maria").session_generation == 2


def test_each_way_of_ending_sessions_bumps_once_and_says_why(db_url):
    with session_scope(db_url) as session:
        ensure_demo_users(session)
        user = find_user(session, "steward")
        steps = [
            (lambda: sign_out(session, user), "the session was signed out"),
            (
                lambda: set_password(session, user, "new-password-1", actor="cli"),
                "your password was changed",
            ),
            (lambda: set_role(session, user, "finance", actor="cli"), "your role was changed"),
            (
                lambda: sign_out_everywhere(session, user, actor="admin"),
                "every session was signed out",
            ),
        ]
        for generation, (step, reason) in enumerate(steps, start=1):
            step()
            assert user.session_generation == generation
            assert session_end_reason(session, "steward") == reason
        assert verify_password(user.password_hash, "new-password-1") and user.role == "finance"


def test_password_and_role_changes_refuse_what_is_wrong_and_change_nothing(db_url):
    with session_scope(db_url) as session:
        ensure_demo_users(session)
        admin = find_user(session, "admin")
        with pytest.raises(ConfigError, match="at least 10 characters"):
            set_password(session, admin, "short", actor="cli")
        with pytest.raises(ConfigError, match="unknown role"):
            set_role(session, admin, "king", actor="cli")
        with pytest.raises(ConfigError, match="last admin"):
            set_role(session, admin, "steward", actor="cli")
        assert set_role(session, admin, "admin", actor="cli") is False
        assert (admin.role, admin.session_generation) == ("admin", 0)
        assert verify_password(admin.password_hash, "demo")
