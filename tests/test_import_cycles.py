"""Pairs of modules that once reached each other (through a lazy import or a TYPE_CHECKING
block) no longer do: the module used does not import its user in any form, at the top, inside
`if TYPE_CHECKING:` or inside a function."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
# (the user, the module it uses): the dependency goes one way only.
PAIRS = [
    ("sandbox.state", "sandbox.registry"),
    ("connectors.netsuite.replies", "connectors.netsuite.faults"),
]


def imported_names(source: str, package: str) -> set[str]:
    """Every module an import statement names (`from a import b` names both a and a.b)."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = package.rsplit(".", node.level - 1)[0]
                base = f"{parent}.{base}" if base else parent
            names.add(base)
            names.update(f"{base}.{alias.name}" for alias in node.names)
    return names


def imported_by(module: str) -> set[str]:
    source = (ROOT / (module.replace(".", "/") + ".py")).read_text()
    return imported_names(source, module.rpartition(".")[0])


def test_imports_under_type_checking_in_functions_and_relative_ones_count():
    source = (
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n    from sandbox.state import SandboxState\n"
        "def f():\n    import sandbox.world\n    from . import frame\n"
    )
    names = imported_names(source, "sandbox")
    assert {"sandbox.state", "sandbox.world", "sandbox.frame"} <= names


@pytest.mark.parametrize(("user", "used"), PAIRS, ids=[pair[1] for pair in PAIRS])
def test_the_used_module_does_not_import_its_user(user, used):
    assert user not in imported_by(used)
