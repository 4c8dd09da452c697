"""The two queues side by side for the search, sort, paging and download tests: how to put
rows into each, read the keys a page lists, and which roles each refuses or scopes."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

from core.store import session_scope
from core.store.models import OpsException, RecordError
from tests.web.helpers import now

MESSAGE = "Ship-to code ZZ is unknown"


def add_errors(db_url: str, rows: list[dict]) -> None:
    """Record errors; row n failed last n minutes ago (the queue lists it n-th), its order
    number, where given, in the payload as the jobs keep it."""
    with session_scope(db_url) as session:
        for n, row in enumerate(rows):
            seen = now() - timedelta(minutes=row.get("age", n))
            order = row.get("order")
            session.add(
                RecordError(
                    job_id=row.get("area", "sync_orders"),
                    business_key=row["key"],
                    error_class="value",
                    message=row.get("message", MESSAGE),
                    payload={"order": order, "ship_to": "ZZ"} if order else None,
                    first_seen=seen,
                    last_seen=seen,
                )
            )


def add_cases(db_url: str, rows: list[dict]) -> None:
    """Exceptions; row n is due in n minutes (the queue lists it n-th)."""
    with session_scope(db_url) as session:
        for n, row in enumerate(rows):
            session.add(
                OpsException(
                    kind=row.get("area", "shipment_late"),
                    business_key=row["key"],
                    order_number=row.get("order"),
                    source_job="track_shipments",
                    message=row.get("message", MESSAGE),
                    owner="coordinator",
                    opened_at=now() - timedelta(hours=30),
                    last_seen=now() - timedelta(hours=1),
                    sla_due_at=now() + timedelta(minutes=row.get("age", n)),
                )
            )


@dataclass(frozen=True)
class QueueUnderTest:
    url: str
    add: Callable[[str, list[dict]], None]
    key_heading: str
    refused_role: str  # may not open the queue at all
    scoped_role: str  # sees only its area
    its_area: str
    other_area: str

    def keys(self, page: str) -> list[str]:
        """The business keys a list page shows, top to bottom."""
        return re.findall(rf'href="{self.url}/\d+"><code>([^<]*)</code>', page)


ERRORS = QueueUnderTest(
    "/errors", add_errors, "Record", "auditor", "steward", "apply_uploads", "sync_orders"
)
EXCEPTIONS = QueueUnderTest(
    "/exceptions",
    add_cases,
    "Case",
    "steward",
    "finance",
    "invoice_price_mismatch",
    "shipment_late",
)
QUEUES = {"errors": ERRORS, "exceptions": EXCEPTIONS}


def link(page: str, text: str) -> tuple[str, dict[str, list[str]]]:
    """The path and query of the link whose text starts with `text`."""
    href = re.search(rf'<a href="([^"]+)"[^>]*>{re.escape(text)}', page).group(1)
    parts = urlsplit(href.replace("&amp;", "&"))
    return parts.path, parse_qs(parts.query)
