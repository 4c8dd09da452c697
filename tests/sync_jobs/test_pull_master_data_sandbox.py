"""pull_master_data end to end on the sandbox, from NetSuite and from SAP, through the CLI."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select

from core.store import models as m
from core.store import session_scope
from tests.helpers import cli

pytestmark = pytest.mark.slow


def counts(url: str) -> dict[str, int]:
    with session_scope(url) as session:
        return {
            model.__tablename__: session.scalar(select(func.count()).select_from(model))
            for model in (m.Item, m.PriceListEntry, m.Customer, m.ShipTo, m.Inventory)
        }


def test_netsuite_at_2023_2_fills_the_store_and_every_traced_request_is_valid(
    settings, tmp_path, reference
):
    from tests.connectors.netsuite.conftest import validate_request

    assert cli(settings, "sandbox", "reset", "--seed", "1").returncode == 0
    traces = tmp_path / "traces"
    result = cli(
        settings,
        "--trace",
        str(traces),
        "job",
        "run",
        "pull_master_data",
        ORDERBRIDGE__NETSUITE__WSDL_VERSION="2023_2",
    )
    assert result.returncode == 0, result.stderr
    filled = counts(settings.database_url)
    assert all(n > 0 for n in filled.values()), filled
    requests = sorted(traces.glob("netsuite-*-request.xml"))
    assert requests
    for path in requests:
        validate_request(path.read_bytes())
        assert "sandbox-token-secret" not in path.read_text()
    history = json.loads(cli(settings, "job", "history", "pull_master_data", "--json").stdout)
    assert history[0]["read"] == history[0]["written"] == sum(filled.values())
    assert history[0]["api_calls"] == len(requests)


def test_sap_fills_the_store(settings):
    assert cli(settings, "sandbox", "reset", "--seed", "1").returncode == 0
    result = cli(settings, "job", "run", "pull_master_data", ORDERBRIDGE__ERP="sap")
    assert result.returncode == 0, result.stderr
    filled = counts(settings.database_url)
    assert filled["items"] and filled["price_list_entries"] and filled["customers"]
    assert filled["inventory"]
