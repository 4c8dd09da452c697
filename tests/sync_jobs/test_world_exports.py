"""What a steward downloads as current data from the store that pull_master_data (and
sync_orders) filled from the NetSuite simulator passes its own check unchanged, for every kind:
the seeded world is data our own rules accept (states as ISO 3166-2 codes, prices with the
currency's decimals)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from sandbox import SandboxState
from templates_xlsx.export import export_workbook
from templates_xlsx.preview import preview
from tests.sync_jobs.erp_world import TODAY, netsuite_world, run


@pytest.fixture
def settings(make_settings):
    return make_settings()


@pytest.fixture
def world(settings) -> Iterator[SandboxState]:
    for state in netsuite_world(settings):
        assert run(settings, "sync_orders").status == "completed"  # the orders into the store
        yield state


@pytest.mark.parametrize("kind", ["price_list", "ship_tos", "order_changes"])
def test_current_data_from_the_world_passes_its_own_check(settings, world, kind, tmp_path):
    out = tmp_path / f"{kind}.xlsx"
    assert export_workbook(settings, kind, out) > 0
    shown = preview(settings, kind, out, today=TODAY)
    assert shown.check.status == "valid", shown.check.to_json()["errors"][:5]
    assert shown.changes == []
