"""Every KPI of 1,000,000 order lines already in memory (reports/kpi.py), against a bare DuckDB
GROUP BY computing the same figures from the same columns in the same run; then the KPI
workbook of those lines beside the reconciliation workbook of as many lines, per cell.
Targets: KPIs at most 2x the bare GROUP BY and at most 2 GB peak memory; the KPI workbook
within 1.2x the reconciliation workbook's time per cell.

Run: python bench/bench_kpi.py [--lines 1000000] [--repeat 5] [--no-workbook]
KPIs and the GROUP BY run alternately, so both see the same load on a shared machine; prints
their medians, the median of the paired ratios (and that the figures agree), the load
average and the peak resident memory; exits 1 when a target is missed.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import _root  # noqa: F401  (the project root on sys.path)
import duckdb
import numpy as np
import pandas as pd
from bench_reconcile import load, paired, peak_mb
from bench_reconcile_workbook import reconciliation

from reports import kpi
from reports.kpi_data import DATA_COLUMNS
from reports.kpi_workbook import write_workbook
from reports.reconciliation import DETAIL_COLUMNS, LINE_COLUMNS
from reports.reconciliation import write_workbook as write_reconciliation

LINES_PER_ORDER = 4
DAY = np.datetime64("2026-06-01", "s")


def lines_frame(lines: int, seed: int = 7) -> pd.DataFrame:
    """Order lines as reports.kpi_data gives them: late, short, backordered, undelivered,
    unshipped, damaged, cancelled and wrongly invoiced lines all present."""
    rng = np.random.default_rng(seed)
    orders = lines // LINES_PER_ORDER + 1
    number = np.char.mod("SO%07d", np.arange(orders)).astype(object)
    days = lambda values: DAY + values.astype("timedelta64[D]")  # noqa: E731
    ordered = rng.integers(1, 50, lines).astype(np.float64)
    shipped_at_all = rng.random(lines) > 0.03
    first = np.where(rng.random(lines) < 0.08, np.floor(ordered / 2), ordered)
    first = np.where(shipped_at_all, first, 0.0)
    total = np.where(rng.random(lines) < 0.7, ordered, first)
    total = np.where(shipped_at_all, total, 0.0)
    ship = np.where(shipped_at_all, days(rng.integers(1, 5, lines)), np.datetime64("NaT"))
    delivered = shipped_at_all & (rng.random(lines) > 0.1)
    delivery = np.where(delivered, ship + rng.integers(1, 6, lines).astype("timedelta64[D]"),
                        np.datetime64("NaT"))  # fmt: skip
    frame = pd.DataFrame(
        {
            "order": np.repeat(number, LINES_PER_ORDER)[:lines],
            "line": np.tile(np.arange(1, LINES_PER_ORDER + 1), orders)[:lines],
            "customer": rng.choice(np.char.mod("C%03d", np.arange(500)).astype(object), lines),
            "item": np.char.mod("SKU-%05d", rng.integers(0, 20_000, lines)).astype(object),
            "warehouse": rng.choice(np.array(["WH-EAST", "WH-WEST", "WH-EU"], object), lines),
            "carrier": np.where(
                shipped_at_all, rng.choice(np.array(["ups", "fedex", "dhl"], object), lines), ""
            ),  # fmt: skip
            "ordered_qty": ordered,
            "first_shipped_qty": first,
            "shipped_qty": total,
            "order_date": np.full(lines, DAY),
            "promised_date": np.where(
                rng.random(lines) < 0.95, days(rng.integers(3, 9, lines)), np.datetime64("NaT")
            ),  # fmt: skip
            "requested_date": np.where(
                rng.random(lines) < 0.5, days(rng.integers(2, 8, lines)), np.datetime64("NaT")
            ),  # fmt: skip
            "ship_date": ship,
            "delivery_date": delivery,
            "damaged": rng.random(lines) < 0.005,
            "documentation_correct": rng.random(lines) > 0.01,
            "discrepancy": rng.random(lines) < 0.01,
            "cancelled": rng.random(lines) < 0.01,
            "invoiced": shipped_at_all & (rng.random(lines) > 0.05),
            "pod_on_file": delivered & (rng.random(lines) > 0.02),
            "value": np.round(ordered * rng.integers(100, 50_000, lines) / 100, 2),
            "currency": rng.choice(np.array(["USD", "EUR", "GBP"], object), lines),
        }
    )
    for column in ("order_date", "promised_date", "requested_date", "ship_date"):
        frame[column] = frame[column].astype("datetime64[s]")
    frame["delivery_date"] = frame["delivery_date"].astype("datetime64[s]")
    return frame[list(DATA_COLUMNS)]


GROUP_BY = """
WITH l AS (
  SELECT "order", delivery_date IS NOT NULL AS d, ship_date IS NOT NULL AS s,
         promised_date IS NOT NULL AS hp, requested_date IS NOT NULL AS hr,
         COALESCE(delivery_date <= promised_date, FALSE) AS otp,
         COALESCE(delivery_date <= requested_date, FALSE) AS otr,
         shipped_qty >= ordered_qty AS full_, shipped_qty = ordered_qty AS exact,
         ship_date IS NOT NULL AND first_shipped_qty >= ordered_qty AS ff,
         CASE WHEN ship_date IS NOT NULL THEN ordered_qty ELSE 0 END AS uo,
         CASE WHEN ship_date IS NOT NULL THEN LEAST(first_shipped_qty, ordered_qty) ELSE 0 END
           AS uf,
         CASE WHEN ship_date IS NOT NULL THEN LEAST(shipped_qty, ordered_qty) ELSE 0 END AS ut,
         pod_on_file OR ship_date IS NULL AS pod, damaged, documentation_correct AS doc,
         discrepancy, invoiced
  FROM lines WHERE NOT cancelled),
o AS (
  SELECT BOOL_AND(d) AS d, BOOL_AND(hp) AS hp, BOOL_AND(hr) AS hr,
         BOOL_AND(otp OR NOT hp) AS otp, BOOL_AND(otr OR NOT hr) AS otr,
         BOOL_AND(full_) AS full_, BOOL_AND(ff) AS ff, BOOL_AND(exact) AS exact,
         BOOL_AND(doc) AS doc, BOOL_AND(pod) AS pod, BOOL_OR(s) AS s,
         BOOL_OR(damaged) AS damaged, BOOL_OR(discrepancy) AS disc, BOOL_OR(invoiced) AS inv
  FROM l GROUP BY "order")
SELECT
  (SELECT COUNT(*) FILTER (d AND hp AND otp) / NULLIF(COUNT(*) FILTER (d AND hp), 0) FROM l),
  (SELECT COUNT(*) FILTER (d AND hp AND otp) / NULLIF(COUNT(*) FILTER (d AND hp), 0) FROM o),
  (SELECT COUNT(*) FILTER (d AND hr AND otr) / NULLIF(COUNT(*) FILTER (d AND hr), 0) FROM l),
  (SELECT COUNT(*) FILTER (d AND hr AND otr) / NULLIF(COUNT(*) FILTER (d AND hr), 0) FROM o),
  (SELECT COUNT(*) FILTER (d AND hp AND otp AND full_) / NULLIF(COUNT(*) FILTER (d AND hp), 0)
     FROM l),
  (SELECT COUNT(*) FILTER (d AND hp AND otp AND full_) / NULLIF(COUNT(*) FILTER (d AND hp), 0)
     FROM o),
  (SELECT COUNT(*) FILTER (ff) / NULLIF(COUNT(*) FILTER (s), 0) FROM l),
  (SELECT COUNT(*) FILTER (s AND full_) / NULLIF(COUNT(*) FILTER (s), 0) FROM l),
  (SELECT SUM(uf) / NULLIF(SUM(uo), 0) FROM l),
  (SELECT SUM(ut) / NULLIF(SUM(uo), 0) FROM l),
  (SELECT COUNT(*) FILTER (s AND ff) / NULLIF(COUNT(*) FILTER (s), 0) FROM o),
  (SELECT COUNT(*) FILTER (s AND full_) / NULLIF(COUNT(*) FILTER (s), 0) FROM o),
  (SELECT COUNT(*) FILTER (d AND hp AND otp AND full_ AND NOT damaged AND doc AND NOT disc)
     / NULLIF(COUNT(*) FILTER (d AND hp), 0) FROM o),
  (SELECT COUNT(*) FILTER (d AND exact AND NOT damaged) / NULLIF(COUNT(*) FILTER (d), 0)
     FROM o),
  (SELECT COUNT(*) FILTER (s AND NOT ff) / NULLIF(COUNT(*) FILTER (s), 0) FROM l),
  (SELECT COUNT(*) FILTER (inv AND pod) / NULLIF(COUNT(*) FILTER (inv), 0) FROM o)
"""


def bare_group_by(frame: pd.DataFrame) -> tuple:
    con = duckdb.connect()
    try:
        con.register("lines", frame)
        return con.execute(GROUP_BY).fetchone()
    finally:
        con.close()


def _agree(ours: dict, theirs: tuple) -> bool:
    mine = [ours["kpis"][name] for name in kpi.DEFINITIONS]
    return all(
        (a is None and b is None) or (a is not None and b is not None and abs(a - b) < 1e-12)
        for a, b in zip(mine, theirs, strict=True)
    )


def workbooks(frame: pd.DataFrame, repeat: int) -> tuple[float, float]:
    """Seconds per cell (medians): the KPI workbook of these lines, and the reconciliation
    workbook of as many lines per side as matched, written alternately."""
    result = {"from": "2026-06-01", "to": "2026-06-30", "filters": {}, **kpi.compute(frame)}
    result["exceptions"] = {"opened": 0, "resolved": 0, "resolved_within_sla": None}
    rec = reconciliation(len(frame), all_discrepant=False)
    rec_cells = len(rec.lines) * len(LINE_COLUMNS)
    rec_cells += sum(len(table) for table in rec.classes.values()) * len(DETAIL_COLUMNS)
    with tempfile.TemporaryDirectory() as folder:
        kpi_path, rec_path = Path(folder, "kpi.xlsx"), Path(folder, "rec.xlsx")
        kpi_times, rec_times, _, _ = paired(
            lambda: write_workbook(frame, result, kpi_path),
            lambda: write_reconciliation(rec, rec_path),
            repeat,
        )
    per_kpi = statistics.median(kpi_times) / (len(frame) * len(DATA_COLUMNS))
    return per_kpi, statistics.median(rec_times) / rec_cells


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--lines", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--no-workbook", action="store_true", help="skip the workbook part")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    frame = lines_frame(args.lines)
    print(f"{args.lines:,} order lines made in {time.perf_counter() - started:.1f} s")
    ours, bare, result, figures = paired(
        lambda: kpi.compute(frame, by=()), lambda: bare_group_by(frame), args.repeat
    )
    ratio = statistics.median(a / b for a, b in zip(ours, bare, strict=True))
    agree = _agree(result, figures)
    print(f"KPIs (reports/kpi.py)   median {statistics.median(ours):.3f} s")
    print(f"bare DuckDB GROUP BY    median {statistics.median(bare):.3f} s")
    print(f"paired-median ratio     {ratio:.2f}x (target <= 2x); figures agree: {agree}")
    by_started = time.perf_counter()
    kpi.compute(frame)
    print(f"with by customer, carrier, warehouse: {time.perf_counter() - by_started:.3f} s")
    peak = peak_mb()
    print(f"load average {load()}; peak resident memory {peak:,.0f} MB (target <= 2,048 MB)")
    missed = ratio > 2 or not agree or peak > 2048
    if not args.no_workbook:
        per_kpi, per_rec = workbooks(frame, max(1, args.repeat // 2))
        cell_ratio = per_kpi / per_rec
        print(f"KPI workbook            {per_kpi * 1e9:.0f} ns per cell")
        print(f"reconciliation workbook {per_rec * 1e9:.0f} ns per cell")
        print(f"per-cell ratio          {cell_ratio:.2f}x (target <= 1.2x)")
        missed |= cell_ratio > 1.2
        print(f"load average {load()}; peak with both workbooks' data {peak_mb():,.0f} MB")
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
