"""What every verb group shares: exit codes, the roles, usage errors and the parser class."""

from __future__ import annotations

import argparse
from datetime import date
from typing import Any, NoReturn

EX_USAGE, EX_CONFIG, EX_RUNNING = 64, 78, 3
# core.users.ROLES (a test keeps them equal), spelled out so parsing imports no store code.
ROLES = ("coordinator", "steward", "finance", "auditor", "admin")


class UsageError(Exception):
    """Bad input on the command line."""


class Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise UsageError(f"{self.prog}: {message}")


def add_group(verbs: Any, name: str, summary: str) -> Any:
    """A verb whose work is done by actions (`job run`, `db upgrade`): its actions' parsers."""
    return verbs.add_parser(name, help=summary).add_subparsers(
        dest="action", metavar="ACTION", parser_class=Parser, required=True
    )


def iso_date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date as YYYY-MM-DD: {text!r}") from None
