"""Writing the finance reconciliation workbook for the benchmark's period of 1,000,000 lines per
side (bench_reconcile's sides, matched with every line kept): seconds and peak memory of
`write_workbook`, for the period as it is (a few thousand discrepancies) and for the same
lines all discrepant (nothing invoiced: a million rows on the Lines sheet and a million on
"Shipped not invoiced"), with a smaller period for comparison. Target: peak <= 2 GB.

Run: python bench/bench_reconcile_workbook.py [--lines 1000000] [--small 100000] [--repeat 3]
Each case runs in a fresh process; the peak is the resident high-water mark while writing
(reset once the reconciliation is in memory, so it counts the data plus what the writer
adds), beside the resident size before the write. Prints medians; exits 1 past the target.
"""

from __future__ import annotations

import argparse
import multiprocessing
import statistics
import sys
import tempfile
import time
from datetime import date, datetime, timezone
from pathlib import Path

import _root  # noqa: E402, F401  (the project root on sys.path)
from bench_reconcile import load, peak_mb, sides  # noqa: E402

from reports.reconcile_core import Tolerances, as_people_see_it, reconcile  # noqa: E402
from reports.reconciliation import Reconciliation, write_workbook  # noqa: E402

AS_OF = 20_010  # ten days after the benchmark's ship day: everything shipped is due


def resident_mb() -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def reset_peak() -> bool:
    """Start the high-water mark afresh (Linux: clear_refs 5); False where it cannot."""
    try:
        with open("/proc/self/clear_refs", "w") as refs:
            refs.write("5")
        return True
    except OSError:
        return False


def reconciliation(lines: int, all_discrepant: bool) -> Reconciliation:
    orders, shipments, invoices = sides(lines)
    if all_discrepant:
        invoices = invoices.iloc[0:0]
    result = reconcile(
        orders, shipments, invoices, Tolerances(as_of_day=AS_OF), with_lines=True, columnar=True
    )
    return Reconciliation(
        date(2026, 6, 1),
        date(2026, 6, 30),
        datetime.now(timezone.utc),
        [as_people_see_it(row) for row in result.summary],
        result.classes,
        result.lines,
    )


def write_once(lines: int, all_discrepant: bool) -> dict[str, float]:
    """In a fresh process: build the reconciliation, then time and measure the write."""
    rec = reconciliation(lines, all_discrepant)
    before = resident_mb()
    reset = reset_peak()
    with tempfile.TemporaryDirectory() as folder:
        started = time.perf_counter()
        path = write_workbook(rec, Path(folder) / "recon.xlsx")
        seconds = time.perf_counter() - started
        size = path.stat().st_size / 2**20
    return {
        "seconds": seconds,
        "peak": peak_mb() if reset else float("nan"),
        "before": before,
        "rows": len(rec.lines) + sum(len(t) for t in rec.classes.values()),
        "discrepancies": sum(len(t) for t in rec.classes.values()),
        "mb": size,
    }


def measure(lines: int, all_discrepant: bool, repeat: int) -> dict[str, float]:
    context = multiprocessing.get_context("spawn")
    runs = []
    for _ in range(repeat):
        with context.Pool(1) as pool:
            runs.append(pool.apply(write_once, (lines, all_discrepant)))
    median = {key: statistics.median(run[key] for run in runs) for key in runs[0]}
    median["spread"] = max(r["seconds"] for r in runs) - min(r["seconds"] for r in runs)
    return median


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=1_000_000)
    parser.add_argument("--small", type=int, default=100_000, help="0 to skip")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    print(f"load average (1/5/15 min) before: {load()}")
    cases = [(args.small, False)] if args.small else []
    cases += [(args.lines, False), (args.lines, True)]
    worst = 0.0
    for lines, all_discrepant in cases:
        figures = measure(lines, all_discrepant, args.repeat)
        worst = max(worst, figures["peak"])
        what = "every line discrepant" if all_discrepant else "as matched"
        print(
            f"{lines:,} lines per side, {what}: {figures['rows']:,.0f} rows written "
            f"({figures['discrepancies']:,.0f} discrepancies), {figures['mb']:,.0f} MB .xlsx; "
            f"write median {figures['seconds']:.2f} s of {args.repeat} "
            f"(spread {figures['spread']:.2f} s); peak while writing {figures['peak']:,.0f} MB "
            f"(resident before the write {figures['before']:,.0f} MB)"
        )
    print(f"load average after: {load()}; target peak <= 2048 MB")
    return 0 if worst <= 2048 else 1


if __name__ == "__main__":
    sys.exit(main())
