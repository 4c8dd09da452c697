"""API calls per 10,000 records upserted into Salesforce, counted by the sandbox.

Run: `.venv/bin/python bench/bench_salesforce_calls.py`. Each scenario runs on a
fresh simulator; logins are counted apart from API calls. Targets: Bulk API 2.0 at most 8
calls per job (create, upload, close, status polls, result sets), sObject Collections 50.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from datetime import date
from pathlib import Path

import _root  # noqa: F401  (the project root on sys.path)

from config import load_settings  # noqa: E402
from connectors.salesforce.connector import from_settings  # noqa: E402
from core import http  # noqa: E402
from core.records import Item  # noqa: E402
from sandbox import SandboxAdapter, SandboxState  # noqa: E402

RECORDS = 10_000


def _items(count: int) -> list[Item]:
    return [
        Item(source_system="erp", source_key=str(n), sku=f"BENCH-{n:05d}", description=f"Item {n}")
        for n in range(count)
    ]


def run(folder: Path, name: str, bulk_threshold: int, polls_to_complete: int = 1) -> dict:
    state = SandboxState(folder / name / "state.db")
    state.reset(1, date(2026, 3, 2))
    state.meta_set("salesforce", "bulk_polls_to_complete", polls_to_complete)
    http.set_transport(SandboxAdapter(state))
    try:
        settings = load_settings(
            {
                "ORDERBRIDGE__DATA_DIR": str(folder / name),
                "ORDERBRIDGE__CONNECTIONS__SALESFORCE__BULK_THRESHOLD": str(bulk_threshold),
                "ORDERBRIDGE__CONNECTIONS__SALESFORCE__BULK_POLL_SECONDS": "0.01",
            }
        )
        connector = from_settings(settings)
        started = time.perf_counter()
        results = connector.upsert("item", _items(RECORDS))
        elapsed = time.perf_counter() - started
    finally:
        http.set_transport(None)
    stats = state.stats()["systems"]["salesforce"]
    calls = stats["calls"]
    state.close()
    return {
        "ok": sum(r.ok for r in results),
        "api": {k: v for k, v in calls.items() if not k.startswith("auth:")},
        "auth": sum(v for k, v in calls.items() if k.startswith("auth:")),
        "max_batch": stats["max_batch"],
        "seconds": elapsed,
    }


def _line(label: str, figures: dict, target: str) -> str:
    api = figures["api"]
    detail = ", ".join(f"{k} {v}" for k, v in sorted(api.items()))
    return (
        f"{label:<38} {sum(api.values()):>3} API calls ({detail}); logins {figures['auth']}; "
        f"{figures['ok']}/{RECORDS} written in {figures['seconds']:.1f}s  [target {target}]"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        bulk = run(folder, "bulk", bulk_threshold=2000)
        slow = run(folder, "bulk3", bulk_threshold=2000, polls_to_complete=3)
        collections = run(folder, "collections", bulk_threshold=RECORDS + 1)
    print(f"Salesforce upsert of {RECORDS:,} records, API calls counted by the sandbox")
    print(_line("Bulk API 2.0, one job", bulk, "<= 8 per job"))
    print(_line("Bulk API 2.0, job done on the 3rd poll", slow, "<= 8 per job"))
    print(_line("sObject Collections, 200 per call", collections, "50"))
    print(f"Collections largest batch: {collections['max_batch'].get('collections_upsert')}")


if __name__ == "__main__":
    main()
