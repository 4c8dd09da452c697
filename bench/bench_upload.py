"""Benchmark: a 100,000-row order_changes workbook through the whole upload check (safety
pre-check, parse child, schema, cross-checks against a seeded SQLite store), against
python-calamine's bare read of the same file and an openpyxl read-only + marshmallow
baseline, in the same run. Prints medians, both ratios and the parse child's peak memory.

    .venv/bin/python bench/bench_upload.py [--rows 100000] [--repeat 5] [--keep DIR]

Targets: pipeline <= 2.0x the bare read, >= 6x faster than the baseline, child <= 500 MB.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import _root  # noqa: E402, F401  (the project root on sys.path)
from openpyxl import Workbook, load_workbook  # noqa: E402
from openpyxl.cell import WriteOnlyCell  # noqa: E402
from python_calamine import CalamineWorkbook  # noqa: E402
from sqlalchemy import insert  # noqa: E402

from config import load_settings  # noqa: E402
from core.store import get_engine, upgrade  # noqa: E402
from core.store.models import Item, Order, OrderLine, ShipTo  # noqa: E402
from templates_xlsx import get_kind  # noqa: E402
from templates_xlsx.check import check_upload  # noqa: E402
from templates_xlsx.template import MARKER_SHEET, MARKER_TAG  # noqa: E402

TODAY = date(2026, 3, 1)
LINES_PER_ORDER = 5
SOURCE = {"source_system": "bench", "source_key": "x"}


def seed(url: str, rows: int) -> None:
    orders = rows // LINES_PER_ORDER
    engine = get_engine(url)
    with engine.begin() as connection:
        connection.execute(insert(Item), [{"sku": f"SKU-{n:05d}", **SOURCE} for n in range(5000)])
        connection.execute(
            insert(ShipTo),
            [
                {"customer_number": f"C{c:04d}", "code": f"{s:03d}", **SOURCE}
                for c in range(1000)
                for s in (1, 2, 3)
            ],
        )
        connection.execute(
            insert(Order),
            [
                {
                    "number": f"{o:08d}",
                    "customer_number": f"C{o % 1000:04d}",
                    "ship_to_code": "001",
                    **SOURCE,
                }
                for o in range(orders)
            ],
        )
        connection.execute(
            insert(OrderLine),
            [
                {
                    "order_number": f"{o:08d}",
                    "line_no": n,
                    "sku": f"SKU-{(o * 7 + n) % 5000:05d}",
                    "quantity": Decimal(10),
                    "unit_price": Decimal("2.50"),
                    "quantity_shipped": Decimal(0),
                    "requested_date": date(2026, 4, 1),
                }
                for o in range(orders)
                for n in range(1, LINES_PER_ORDER + 1)
            ],
        )


def write_workbook(path: Path, rows: int) -> None:
    """The order_changes template's sheet and marker, filled with `rows` changes."""
    kind = get_kind("order_changes")
    fields = kind.fields
    rng = random.Random(7)
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(kind.name)
    sheet.freeze_panes = "A2"
    sheet.append([field.header for _, field in fields])
    for index in range(rows):
        order, line = divmod(index, LINES_PER_ORDER)
        values = {
            "order": f"{order:08d}",
            "line": line + 1,
            "action": "change",
            "item": f"SKU-{(order * 7 + line + 1) % 5000:05d}",
            "quantity": rng.randint(10, 40),
            "requested_date": TODAY + timedelta(days=rng.randint(1, 90)),
            "promised_date": TODAY + timedelta(days=rng.randint(1, 90)),
            "ship_to": f"{rng.randint(1, 3):03d}",
            "ship_method": "Ground",
        }
        cells = []
        for name, field in fields:
            cell = WriteOnlyCell(sheet, value=values[name])
            cell.number_format = field.number_format
            cells.append(cell)
        sheet.append(cells)
    marker = workbook.create_sheet(MARKER_SHEET)
    marker.append([MARKER_TAG, kind.name, kind.version])
    marker.sheet_state = "veryHidden"
    workbook.save(path)


def bare_read(path: Path) -> int:
    return len(CalamineWorkbook.from_path(str(path)).get_sheet_by_name("order_changes").to_python())


def baseline(path: Path) -> int:
    """openpyxl read-only and marshmallow, one row at a time."""
    kind = get_kind("order_changes")
    names = [name for name, _ in kind.fields]
    workbook = load_workbook(path, read_only=True)
    loaded = 0
    for values in workbook["order_changes"].iter_rows(min_row=2, values_only=True):
        kind.load_row(dict(zip(names, values, strict=False)))
        loaded += 1
    workbook.close()
    return loaded


def timed(function, *args) -> tuple[float, object]:
    start = time.perf_counter()
    result = function(*args)
    return time.perf_counter() - start, result


def paired(first, second, runs: int) -> tuple[list[float], list[float], list[object]]:
    """Run `first` and `second` back to back `runs` times, alternating which goes first, so
    both see the same load; their times and `second`'s results."""
    first_times, second_times, results = [], [], []
    for run in range(runs):
        if run % 2:
            seconds, result = timed(second)
            first_times.append(timed(first)[0])
        else:
            first_times.append(timed(first)[0])
            seconds, result = timed(second)
        second_times.append(seconds)
        results.append(result)
    return first_times, second_times, results


def ratios(top: list[float], bottom: list[float]) -> float:
    return statistics.median(t / b for t, b in zip(top, bottom, strict=True))


def load() -> str:
    return " ".join(f"{value:.2f}" for value in os.getloadavg())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--baseline-repeat", type=int, default=3)
    parser.add_argument("--keep", type=Path, help="keep the workbook and store here")
    args = parser.parse_args()
    folder = args.keep or Path(tempfile.mkdtemp(prefix="bench_upload_"))
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "order_changes_100k.xlsx"
    url = f"sqlite:///{folder / 'bench.db'}"
    if not path.exists():
        write_workbook(path, args.rows)
        upgrade(url)
        seed(url, args.rows)
    settings = load_settings(
        {"ORDERBRIDGE__DATABASE_URL": url, "ORDERBRIDGE__DATA_DIR": str(folder)}
    )

    def pipeline():
        result = check_upload(settings, "order_changes", path, today=TODAY)
        assert result.status == "valid", result.to_json()["errors"][:3]
        return result

    load_before = load()
    pipeline()  # warm: imports, the store's connection pool, the page cache
    bare, checked, results = paired(lambda: bare_read(path), pipeline, args.repeat)
    memory = max(result.child_maxrss_kb for result in results) / 1024
    against, base, _ = paired(pipeline, lambda: baseline(path), args.baseline_repeat)
    b, p = statistics.median(bare), statistics.median(checked)
    o, q = statistics.median(base), statistics.median(against)
    print(f"workbook: {path.stat().st_size / 1e6:.1f} MB, {args.rows:,} rows")
    print(f"machine: {os.cpu_count()} cores, load average {load_before} before, {load()} after")
    print(f"bare calamine read      median {b:.3f} s   (of {args.repeat})")
    print(f"upload check pipeline   median {p:.3f} s   (of {args.repeat})")
    print(
        f"pipeline / bare read    median of paired ratios {ratios(checked, bare):.2f}x"
        f"   (of medians {p / b:.2f}x; target <= 2.0)"
    )
    print(
        f"openpyxl + marshmallow  median {o:.3f} s   = {ratios(base, against):.1f}x slower than"
        f" the pipeline, median of paired ratios (of medians {o / q:.1f}x; target >= 6)"
    )
    print(f"parse child peak memory max {memory:.0f} MB (target <= 500)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
