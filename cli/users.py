"""The users verbs: add, list, passwd, set-role and sign-out, with no password ever echoed."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from cli.common import ROLES, UsageError, add_group


def register(verbs: Any) -> None:
    users = add_group(verbs, "users", "sign-ins")
    add = users.add_parser("add", help="add a user; the password is read from a prompt or stdin")
    add.add_argument("name")
    add.add_argument("--role", required=True, choices=ROLES)
    add.set_defaults(func=cmd_users_add)
    users.add_parser("list", help="every user and role").set_defaults(func=cmd_users_list)
    passwd = users.add_parser(
        "passwd", help="set a password (prompt or stdin); ends the user's sessions"
    )
    passwd.add_argument("name")
    passwd.set_defaults(func=cmd_users_passwd)
    set_role = users.add_parser("set-role", help="change a role; ends the user's sessions")
    set_role.add_argument("name")
    set_role.add_argument("--role", required=True, choices=ROLES)
    set_role.set_defaults(func=cmd_users_set_role)
    sign_out = users.add_parser("sign-out", help="end every session of a user (not API tokens)")
    sign_out.add_argument("name")
    sign_out.set_defaults(func=cmd_users_sign_out)


def read_password(name: str, confirm: bool = False) -> str:
    """From a prompt that never echoes (asked twice when confirm), or one line of stdin."""
    import getpass

    if not sys.stdin.isatty():
        return sys.stdin.readline().rstrip("\n")
    password = getpass.getpass(f"Password for {name}: ")
    if confirm and getpass.getpass("Again: ") != password:
        raise UsageError("users passwd: the two passwords differ; nothing changed")
    return password


def find_user_or_fail(session: Any, name: str) -> Any:
    from core.users import find_user

    user = find_user(session, name)
    if user is None:
        raise UsageError(f"no user named {name!r} (see: run.py users list)")
    return user


def cmd_users_add(args: argparse.Namespace, settings: Any) -> int:
    from core.store import session_scope
    from core.users import create_user

    password = read_password(args.name)
    with session_scope(settings.database_url) as session:
        create_user(session, args.name, args.role, password, actor="cli")
    print(f"user {args.name} added with role {args.role}")
    return 0


def cmd_users_list(args: argparse.Namespace, settings: Any) -> int:
    from core.store import session_scope
    from core.users import list_users

    with session_scope(settings.database_url) as session:
        for user in list_users(session):
            demo = " (demo)" if user.is_demo else ""
            print(f"{user.username:24} {user.role:12}{demo}")
    return 0


def cmd_users_passwd(args: argparse.Namespace, settings: Any) -> int:
    from core.store import session_scope
    from core.users import set_password

    with session_scope(settings.database_url) as session:
        user = find_user_or_fail(session, args.name)
        set_password(session, user, read_password(args.name, confirm=True), actor="cli")
    print(f"password of {args.name} changed; every session of theirs was signed out")
    return 0


def cmd_users_set_role(args: argparse.Namespace, settings: Any) -> int:
    from core.store import session_scope
    from core.users import set_role

    with session_scope(settings.database_url) as session:
        changed = set_role(session, find_user_or_fail(session, args.name), args.role, actor="cli")
    if not changed:
        print(f"{args.name} already has the role {args.role}")
        return 0
    print(f"{args.name} is now {args.role}; every session of theirs was signed out")
    return 0


def cmd_users_sign_out(args: argparse.Namespace, settings: Any) -> int:
    from core.store import session_scope
    from core.users import sign_out_everywhere

    with session_scope(settings.database_url) as session:
        sign_out_everywhere(session, find_user_or_fail(session, args.name), actor="cli")
    print(f"every session of {args.name} was signed out; their API tokens still work")
    return 0
