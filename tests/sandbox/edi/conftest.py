"""EDI partner fixtures: a data folder reset with seed 1, its partner folder, and the drop."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from sandbox import cli
from sandbox.edi import partner
from tests.sandbox.conftest import TODAY


@pytest.fixture
def data_dir(tmp_path: Path) -> Iterator[Path]:
    folder = tmp_path / "var"
    cli.reset(folder, 1, TODAY)
    yield folder


@pytest.fixture
def edi_dir(data_dir: Path) -> Path:
    return partner.partner_dir(data_dir)


@pytest.fixture
def planted(data_dir: Path) -> dict[str, list[str]]:
    return partner.planted(data_dir)
