"""`make run` in one test: the seed-1 world seeded on the day it runs, every flow job run in
SCHEDULE order cycle after cycle while one clock (the sandbox's and the job runner's) moves on
past the 3PL's shipping, the carriers' transit and NetSuite's billing; then the open
exceptions and the reconciliation's discrepancies are exactly the cases the world planted (the
README's tables), nothing else, whichever job happened to run first."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone

import pytest

from connectors.carriers import status as st
from core import http
from core.retry import breaker_for
from core.store import models as m
from sandbox import SandboxAdapter, SandboxState
from sandbox.edi.partner import planted as partner_planted
from sync_jobs import SCHEDULE
from sync_jobs.base import Clock as RunClock
from tests.sync_jobs.flows import SYSTEMS, Flows

pytestmark = pytest.mark.slow

# The jobs that move orders, shipments and invoices (not the connection check, not uploads,
# not the digest).
FLOW_JOBS = tuple(
    j for j in SCHEDULE if j not in ("check_connections", "apply_uploads", "send_digest")
)
# track_shipments first runs three cycles late, after the 3PL shipped and pull_shipments stored
# that: the store is never empty when it looks, so the ERP's shipments must come another way.
LATE_TRACKING = ("track_shipments",)
CYCLE = timedelta(minutes=2)  # the order flows' interval in the schedule
CYCLES = 8  # the slowest parcel (5 transit days of 60 s) is delivered and billed by then
# The README's planted cases (flows-out and flows-in tables): kind -> the cases in
# world.planted whose orders it flags. A Salesforce order sync_orders rejected is rightly
# "missing in system" (not in the ERP) besides the order the ERP has and Salesforce has not.
EXPECTED = {
    "backorder": ("short_of_stock",),
    "shipment_late": ("shipment_late",),
    "shipment_no_movement": ("shipment_no_movement",),
    "shipment_damaged": ("shipment_damaged",),
    "shipment_returned": ("shipment_returned",),
    "delivered_without_pod": ("delivered_without_pod",),
    "invoice_quantity_mismatch": ("invoice_quantity_mismatch",),
    "invoice_price_mismatch": ("invoice_price_mismatch",),
    "invoice_list_price_mismatch": ("invoice_list_price_mismatch",),
    "invoice_tax_mismatch": ("invoice_tax_mismatch",),
    "invoice_freight_mismatch": ("invoice_freight_mismatch",),
    "recon_missing_in_system": (
        "recon_missing_in_system",
        "unknown_sku",
        "price_outside_tolerance",
    ),
    "recon_quantity_mismatch": ("recon_quantity_mismatch",),
    "recon_price_mismatch": ("recon_price_mismatch",),
    "recon_shipped_not_invoiced": ("recon_shipped_not_invoiced",),
    "recon_invoiced_not_shipped": ("recon_invoiced_not_shipped",),
    "recon_delivered_without_pod": ("recon_delivered_without_pod",),
    "recon_status_mismatch": ("recon_status_mismatch",),
}
# The README's seed-1 counts, in orders.
README_COUNTS = {
    "edi_possible_duplicate": 1,
    "shipment_late": 2,
    "shipment_no_movement": 8,
    "shipment_damaged": 2,
    "shipment_returned": 1,
    "delivered_without_pod": 5,
    "invoice_quantity_mismatch": 2,
    "invoice_price_mismatch": 2,
    "invoice_list_price_mismatch": 1,
    "invoice_tax_mismatch": 1,
    "invoice_freight_mismatch": 1,
    "recon_missing_in_system": 3,
    "recon_quantity_mismatch": 1,
    "recon_price_mismatch": 2,
    "recon_shipped_not_invoiced": 1,
    "recon_invoiced_not_shipped": 1,
    "recon_delivered_without_pod": 5,
    "recon_status_mismatch": 3,
    "backorder": 1,
}


class Clock(RunClock):
    """One clock for the sandbox and the job runner, moved on by the test."""

    def __init__(self) -> None:
        self.at = datetime.now(timezone.utc)

    def __call__(self) -> datetime:
        return self.at

    def now(self) -> datetime:
        return self.at


@pytest.fixture(params=[(), LATE_TRACKING], ids=["schedule_order", "tracking_runs_late"])
def made_run(request, make_settings) -> Iterator[Flows]:
    clock = Clock()
    settings = make_settings()
    state = SandboxState(settings.data_path / "sandbox" / "state.db", clock=clock)
    state.reset(1)  # as `make run` seeds it: anchored on the day it runs
    http.set_transport(SandboxAdapter(state))
    for system in SYSTEMS:  # another test's failures may have left a circuit open
        breaker_for(system).record_success()
    flows = Flows(settings, state, clock)  # job windows on the same clock
    try:
        for cycle in range(CYCLES):
            for job in FLOW_JOBS:
                if cycle < 3 and job in request.param:
                    continue
                outcome = flows.run(job)
                assert outcome.status == "completed", (job, outcome.summary)
            clock.at += CYCLE
        yield flows
    finally:
        http.set_transport(None)
        state.close()


def test_make_run_flags_the_planted_cases_and_nothing_else(made_run: Flows) -> None:
    planted = made_run.world.planted
    open_rows = [r for r in made_run.rows(m.OpsException) if r.status == "open"]
    flagged: dict[str, set[str]] = {}
    for row in open_rows:
        flagged.setdefault(row.kind, set()).add(row.order_number)
    expected = {
        kind: {n for case in cases for n in planted[case]} for kind, cases in EXPECTED.items()
    }
    # The sandbox retailer's PO sent twice is the coordinator's to look at (README, EDI).
    edi_planted = partner_planted(made_run.settings.data_path)
    expected["edi_possible_duplicate"] = {
        f"EDI-beacon-{po}" for po in edi_planted["edi_duplicate_po"]
    }
    assert flagged == expected
    assert {k: len(v) for k, v in flagged.items()} == README_COUNTS
    # One exception per shipment, invoice or invoice line: one per planted order here.
    per_kind = Counter(r.kind for r in open_rows if not r.kind.startswith("recon_"))
    assert per_kind == {k: len(v) for k, v in expected.items() if not k.startswith("recon_")}

    # Meanwhile the new orders went the whole way, and the 3PL shipped by all three carriers.
    new = planted["new_order"]
    shipments = [s for s in made_run.rows(m.Shipment) if s.order_number in new]
    assert {s.order_number for s in shipments} == set(new)
    assert all(s.status == st.DELIVERED and s.pod_signed_by for s in shipments)
    by_3pl = {s.carrier for s in made_run.rows(m.Shipment) if s.source_system == "threepl"}
    assert by_3pl == {"ups", "fedex", "dhl"}
    invoiced = {i.order_number for i in made_run.rows(m.Invoice)}
    assert set(new) <= invoiced
    netsuite = made_run.stats("netsuite")
    assert netsuite["duplicates"]["salesOrder"] == netsuite["duplicates"]["invoice"] == 0


def test_make_run_gives_the_dashboard_the_world_s_kpis_with_trends(made_run: Flows) -> None:
    """What a coordinator sees on the dashboard after `make run`: the world's own KPIs, each
    tile a figure (not a dash), the weekly table holding the weeks the world's orders fell in,
    the open-order aging drawn."""
    from core.store import session_scope
    from core.users import ensure_demo_users
    from reports import kpi
    from tests.web.helpers import sign_in
    from web import create_app

    settings = made_run.settings
    today = made_run.clock.at.date()
    with session_scope(settings.database_url) as session:
        report = kpi.report(session, today - timedelta(days=56), today)
        ensure_demo_users(session)
    assert report["counts"]["delivered_lines"] > 0 and report["counts"]["open_lines"] > 0
    for name in ("otd_line_promised", "otif_order", "line_fill", "order_fill", "perfect_order",
                 "pod_on_file"):  # fmt: skip
        assert 0 < report["kpis"][name] <= 1, name
    client = create_app(settings).test_client()
    sign_in(client, "coordinator")
    page = client.get("/dashboard").get_data(as_text=True)
    tile = page.split('id="kpi-line_fill"')[1].split("</section>")[0]
    assert '<span class="count">—</span>' not in tile and "%</span>" in tile
    weekly = page.split('id="weekly"')[1].split("</table>")[0]
    assert weekly.count("%</td>") >= 5  # the world's weeks have figures
    assert 'id="open-order-aging"' in page and "No order line is open" not in page
