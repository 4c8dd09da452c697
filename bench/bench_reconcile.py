"""Three-way reconciliation of 1,000,000 lines per side already in memory, against a bare
three-way outer join of the same keys in DuckDB in the same run; reading lines from the store
is timed apart. Targets: at most 2x the bare join, at most 2 GB peak memory.

Run: python bench/bench_reconcile.py [--lines 1000000] [--repeat 5] [--store-lines 200000]
                                    [--store-url postgresql+psycopg://.../empty_db]
The bare join and the match run alternately, so both see the same load on a shared machine;
prints their medians, the median of the paired ratios, the load average, the peak resident
memory (VmHWM, else ru_maxrss: DuckDB allocates outside Python, where tracemalloc cannot see)
and the store read (seeded, then read in a fresh process); exits 1 when a target is missed.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import resource
import statistics
import sys
import tempfile
import time
from datetime import date
from decimal import Decimal
from typing import Any

import _root  # noqa: E402, F401  (the project root on sys.path)
import duckdb
import numpy as np
import pandas as pd
from sqlalchemy import insert

from core.store import models as m  # noqa: E402
from core.store import session_scope, upgrade  # noqa: E402
from reports.reconcile_core import Tolerances, reconcile  # noqa: E402
from reports.reconciliation import load_sides  # noqa: E402

LINES_PER_ORDER = 4
DAY = date(2026, 6, 1)


def sides(lines: int, seed: int = 1) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Order, shipment and invoice lines with a few of every line-level discrepancy."""
    rng = np.random.default_rng(seed)
    n_orders = lines // LINES_PER_ORDER
    numbers = np.array([f"{n:08d}" for n in range(n_orders)], dtype=object)
    order_number = np.repeat(numbers, LINES_PER_ORDER)[:lines]
    line_no = np.tile(np.arange(1, LINES_PER_ORDER + 1), n_orders)[:lines]
    quantity = rng.integers(1, 100, lines) * 1000
    price = rng.integers(100, 5_000_000, lines)
    currency = rng.choice(np.array(["USD", "EUR", "GBP", "CAD"], dtype=object), lines)
    orders = pd.DataFrame(
        {
            "order_number": order_number,
            "line_no": line_no,
            "sku": np.char.mod("%05d", rng.integers(0, 99999, lines)).astype(object),
            "currency": currency,
            "quantity_milli": quantity,
            "price_e4": price,
        }
    )
    shipped = quantity.copy()
    shipped[rng.random(lines) < 0.001] += 1000  # shipped more than ordered
    delivered = rng.random(lines) < 0.9
    shipments = pd.DataFrame(
        {
            "order_number": order_number,
            "line_no": line_no,
            "quantity_milli": shipped,
            "shipment_number": np.char.add("SH", order_number.astype(str)).astype(object),
            "ship_day": np.full(lines, 20_000),
            "delivered": delivered,
            "has_pod": delivered & (rng.random(lines) > 0.001),
        }
    )
    invoiced, billed = shipped.copy(), price.copy()
    invoiced[rng.random(lines) < 0.001] += 1000
    billed[rng.random(lines) < 0.001] += 5000
    invoices = pd.DataFrame(
        {
            "order_number": order_number,
            "line_no": line_no,
            "quantity_milli": invoiced,
            "price_e4": billed,
            "currency": currency,
            "invoice_number": np.char.add("INV", order_number.astype(str)).astype(object),
        }
    )
    keep = rng.random(lines) > 0.001  # a few lines shipped but not invoiced
    return orders, shipments, invoices[keep].reset_index(drop=True)


BARE = """
CREATE TEMP TABLE joined AS
SELECT COALESCE(o.order_number, s.order_number, i.order_number) AS order_number,
       COALESCE(o.line_no, s.line_no, i.line_no) AS line_no
FROM o FULL JOIN s ON o.order_number = s.order_number AND o.line_no = s.line_no
FULL JOIN i ON COALESCE(o.order_number, s.order_number) = i.order_number
           AND COALESCE(o.line_no, s.line_no) = i.line_no
"""


def bare_join(orders: pd.DataFrame, shipments: pd.DataFrame, invoices: pd.DataFrame) -> int:
    con = duckdb.connect()
    try:
        for name, frame in (("o", orders), ("s", shipments), ("i", invoices)):
            con.register(name, frame)
        con.execute(BARE)
        return con.execute("SELECT COUNT(*) FROM joined").fetchone()[0]
    finally:
        con.close()


def paired(first, second, runs: int) -> tuple[list[float], list[float], object, object]:
    """Time two functions alternately (which goes first alternates too), so both see the same
    load on a shared, noisy machine; returns both lists of seconds and the last results."""
    times: tuple[list[float], list[float]] = ([], [])
    results: list[object] = [None, None]
    for run in range(runs):
        order = (0, 1) if run % 2 == 0 else (1, 0)
        for which in order:
            started = time.perf_counter()
            results[which] = (first, second)[which]()
            times[which].append(time.perf_counter() - started)
    return times[0], times[1], results[0], results[1]


def peak_mb() -> float:
    """Peak resident memory of this process so far, in MB. Not tracemalloc: it sees only
    Python's allocations, and DuckDB allocates natively. On Linux the high-water mark of the
    process's own memory (VmHWM), since ru_maxrss carries a parent's peak into a child."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def load() -> str:
    return "/".join(f"{value:.1f}" for value in os.getloadavg())


def _qty(milli: int) -> Decimal:
    return Decimal(int(milli)).scaleb(-3)


def _price(e4: int) -> Decimal:
    return Decimal(int(e4)).scaleb(-4)


def _store_rows(lines: int) -> list[tuple[Any, list[dict]]]:
    orders, shipments, invoices = sides(lines)
    numbers = orders["order_number"].unique()
    src = {"source_system": "bench", "source_key": "x"}
    order_lines = [
        {"order_number": r.order_number, "line_no": int(r.line_no), "sku": r.sku,
         "quantity": _qty(r.quantity_milli), "unit_price": _price(r.price_e4),
         "currency": r.currency}
        for r in orders.itertuples(index=False)
    ]  # fmt: skip
    shipment_lines = [
        {"shipment_number": r.shipment_number, "order_line_no": int(r.line_no), "sku": "x",
         "quantity": _qty(r.quantity_milli)}
        for r in shipments.itertuples(index=False)
    ]  # fmt: skip
    invoice_lines = [
        {"invoice_number": r.invoice_number, "line_no": int(r.line_no),
         "order_line_no": int(r.line_no), "sku": "x", "quantity": _qty(r.quantity_milli),
         "unit_price": _price(r.price_e4)}
        for r in invoices.itertuples(index=False)
    ]  # fmt: skip
    return [
        (m.Order, [{"number": n, "customer_number": "C1", "order_date": DAY, **src}
                   for n in numbers]),
        (m.OrderLine, order_lines),
        (m.Shipment, [{"number": f"SH{n}", "order_number": n, "ship_date": DAY, **src}
                      for n in numbers]),
        (m.ShipmentLine, shipment_lines),
        (m.Invoice, [{"number": f"INV{n}", "order_number": n, "customer_number": "C1", **src}
                     for n in numbers]),
        (m.InvoiceLine, invoice_lines),
    ]  # fmt: skip


def seed_store(url: str, lines: int) -> None:
    """The benchmark's sides written to an empty, migrated store, every line dated DAY."""
    for model, rows in _store_rows(lines):
        for start in range(0, len(rows), 100_000):
            with session_scope(url) as session:
                session.execute(insert(model), rows[start : start + 100_000])


def read_store(url: str) -> tuple[float, float, int]:
    """Seconds to read the period's three sides, the reader's peak memory, lines per side."""
    started = time.perf_counter()
    with session_scope(url) as session:
        _, shipments, _ = load_sides(session, DAY, DAY)
    seconds = time.perf_counter() - started
    return seconds, peak_mb(), len(shipments)


def store_read(url: str | None, lines: int) -> tuple[float, float, int]:
    """Seed a store (a temporary SQLite file unless `url` names an empty database), then read
    it back in a fresh process, so the read's own peak memory is what is reported."""
    with tempfile.TemporaryDirectory() as folder:
        url = url or f"sqlite:///{folder}/bench.db"
        upgrade(url)
        context = multiprocessing.get_context("spawn")
        with context.Pool(1) as pool:
            pool.apply(seed_store, (url, lines))
        with context.Pool(1) as pool:
            return pool.apply(read_store, (url,))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--store-lines", type=int, default=200_000)
    parser.add_argument("--store-url", help="an empty PostgreSQL database (default: SQLite)")
    args = parser.parse_args()
    orders, shipments, invoices = sides(args.lines)
    data_mb = peak_mb()
    print(
        f"lines per side: {len(orders):,} orders, {len(shipments):,} shipments, "
        f"{len(invoices):,} invoices (in memory, {data_mb:,.0f} MB with the interpreter)"
    )
    tolerances = Tolerances(as_of_day=20_010)
    load_before = load()
    bare = lambda: bare_join(orders, shipments, invoices)  # noqa: E731
    ours = lambda: reconcile(orders, shipments, invoices, tolerances)  # noqa: E731
    paired(bare, ours, 1)  # warm-up, not counted
    bare_times, our_times, rows, result = paired(bare, ours, args.repeat)
    ratios = [o / b for b, o in zip(bare_times, our_times, strict=True)]
    ratio = statistics.median(ratios)
    peak = peak_mb()
    print(
        f"load average (1/5/15 min) before: {load_before}, after: {load()}, {os.cpu_count()} cores"
    )
    print(f"bare DuckDB outer join:  median {statistics.median(bare_times):.3f} s ({rows:,} keys)")
    print(
        f"three-way reconcile:     median {statistics.median(our_times):.3f} s "
        f"({sum(result.counts.values()):,} discrepancies: "
        + ", ".join(f"{k} {v}" for k, v in result.counts.items())
        + ")"
    )
    print(
        f"ratio: median of {args.repeat} paired runs {ratio:.2f}x "
        f"(pairs {', '.join(f'{r:.2f}' for r in ratios)}; "
        f"ratio of medians {statistics.median(our_times) / statistics.median(bare_times):.2f}x; "
        "target <= 2x)"
    )
    print(
        f"peak memory (resident high-water mark, process, data included): {peak:,.0f} MB "
        f"(target <= 2048 MB; the data alone {data_mb:,.0f} MB)"
    )
    if args.store_lines:
        seconds, read_mb, read = store_read(args.store_url, args.store_lines)
        where = "PostgreSQL" if args.store_url else "SQLite"
        print(
            f"reading {read:,} lines per side from a {where} store: {seconds:.2f} s "
            f"(~{seconds * 1_000_000 / read:.1f} s per million; reader peak {read_mb:,.0f} MB; "
            "apart from the match)"
        )
    return 0 if ratio <= 2 and peak <= 2048 else 1


if __name__ == "__main__":
    sys.exit(main())
