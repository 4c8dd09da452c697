"""Three-way reconciliation of 1,000,000 lines per side already in memory, against a bare
three-way outer join of the same keys in DuckDB in the same run; reading lines from the store
is timed apart. Targets: at most 2x the bare join, at most 2 GB peak memory.

Run: python bench/bench_reconcile.py [--lines 1000000] [--repeat 3] [--store-lines 100000]
Prints medians, the ratio, the peak resident memory of the process and the store read time;
exits 1 when a target is missed.
"""

from __future__ import annotations

import argparse
import resource
import statistics
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from reports.reconcile_core import Tolerances, reconcile  # noqa: E402

LINES_PER_ORDER = 4


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


def timed(fn, repeat: int) -> tuple[float, object]:
    times, result = [], None
    for _ in range(repeat):
        started = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - started)
    return statistics.median(times), result


def store_read(lines: int) -> float:
    """Seconds to read `lines` lines per side of a period from a SQLite store."""
    from sqlalchemy import insert

    from core.store import models as m
    from core.store import session_scope, upgrade
    from reports.reconciliation import load_sides

    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{folder}/bench.db"
        upgrade(url)
        orders, shipments, invoices = sides(lines)
        day = date(2026, 6, 1)
        src = {"source_system": "bench", "source_key": "x"}
        with session_scope(url) as session:
            numbers = orders["order_number"].unique()
            session.execute(
                insert(m.Order),
                [{"number": n, "customer_number": "C1", "order_date": day, **src} for n in numbers],
            )
            session.execute(
                insert(m.OrderLine),
                [
                    {
                        "order_number": r.order_number,
                        "line_no": int(r.line_no),
                        "sku": r.sku,
                        "quantity": int(r.quantity_milli) / 1000,
                        "unit_price": int(r.price_e4) / 10000,
                        "currency": r.currency,
                    }
                    for r in orders.itertuples()
                ],
            )
            session.execute(
                insert(m.Shipment),
                [{"number": f"SH{n}", "order_number": n, "ship_date": day, **src} for n in numbers],
            )
            session.execute(
                insert(m.ShipmentLine),
                [
                    {
                        "shipment_number": r.shipment_number,
                        "order_line_no": int(r.line_no),
                        "sku": "x",
                        "quantity": int(r.quantity_milli) / 1000,
                    }
                    for r in shipments.itertuples()
                ],
            )
            session.execute(
                insert(m.Invoice),
                [
                    {"number": f"INV{n}", "order_number": n, "customer_number": "C1", **src}
                    for n in numbers
                ],
            )
            session.execute(
                insert(m.InvoiceLine),
                [
                    {
                        "invoice_number": r.invoice_number,
                        "line_no": int(r.line_no),
                        "order_line_no": int(r.line_no),
                        "sku": "x",
                        "quantity": int(r.quantity_milli) / 1000,
                        "unit_price": int(r.price_e4) / 10000,
                    }
                    for r in invoices.itertuples()
                ],
            )
        started = time.perf_counter()
        with session_scope(url) as session:
            load_sides(session, day, day)
        return time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--store-lines", type=int, default=100_000)
    args = parser.parse_args()
    orders, shipments, invoices = sides(args.lines)
    print(
        f"lines per side: {len(orders):,} orders, {len(shipments):,} shipments, "
        f"{len(invoices):,} invoices (in memory)"
    )
    tolerances = Tolerances(as_of_day=20_010)
    bare_time, rows = timed(lambda: bare_join(orders, shipments, invoices), args.repeat)
    ours_time, result = timed(
        lambda: reconcile(orders, shipments, invoices, tolerances), args.repeat
    )
    ratio = ours_time / bare_time
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"bare DuckDB outer join:  median {bare_time:.3f} s ({rows:,} keys)")
    print(
        f"three-way reconcile:     median {ours_time:.3f} s "
        f"({sum(result.counts.values()):,} discrepancies: "
        + ", ".join(f"{k} {v}" for k, v in result.counts.items())
        + ")"
    )
    print(f"ratio: {ratio:.2f}x (target <= 2x)")
    print(f"peak memory (process, data included): {peak_mb:,.0f} MB (target <= 2048 MB)")
    if args.store_lines:
        seconds = store_read(args.store_lines)
        print(
            f"reading {args.store_lines:,} lines per side from a SQLite store: {seconds:.2f} s "
            f"(~{seconds * 1_000_000 / args.store_lines:.0f} s per million, apart from the match)"
        )
    return 0 if ratio <= 2 and peak_mb <= 2048 else 1


if __name__ == "__main__":
    sys.exit(main())
