"""The dashboard: each role's KPI tiles with their weekly trend, open exceptions by kind and
age, and for admins the day's job runs by outcome. Charts are SVG documents drawn on the
server (web/kpi_charts.py), each with its numbers in a table on the page.

KPIs are by order date: the tile's figure is the last four weeks, the trend the last eight
weeks, this one included (reports/kpi.py says what each KPI counts).
"""

from __future__ import annotations

from collections import Counter
from datetime import date, datetime, timedelta
from statistics import median

from flask import Blueprint, Response, abort, render_template
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import Session

from core.store.models import JobRun, OpsException
from reports import aging, kpi
from reports.base import Options
from reports.kpi_data import load_lines
from web import exception_store, kpi_charts, queues
from web.job_store import duration_seconds
from web.store import db, settings, utcnow

bp = Blueprint("dashboard", __name__, url_prefix="/dashboard")
WEEKS = 8
TILE_DAYS = 28
COORDINATION = ("otd_line_promised", "otif_order", "line_fill", "order_fill", "backorder_rate")
ROLE_KPIS: dict[str, tuple[str, ...]] = {
    "coordinator": COORDINATION,
    "admin": (*COORDINATION, "perfect_order"),
    "finance": ("perfect_order", "pod_on_file", "order_accuracy"),
    "steward": ("line_fill", "unit_fill", "backorder_rate"),
    "auditor": ("perfect_order", "order_accuracy", "pod_on_file"),
}
LABELS = {
    "otd_line_promised": "On-time delivery (lines, promised date)",
    "otif_order": "OTIF (orders)",
    "line_fill": "Line fill, first time",
    "order_fill": "Order fill, first time",
    "unit_fill": "Unit fill, first time",
    "backorder_rate": "Backorder rate",
    "perfect_order": "Perfect order",
    "pod_on_file": "Proof of delivery on file",
    "order_accuracy": "Order accuracy",
}
# Charts beside the tiles, per role ("runs": the day's job runs, admins only).
ROLE_CHARTS = {"coordinator": ("aging", "exceptions"), "admin": ("aging", "exceptions", "runs")}
ROLE_CHARTS |= {"finance": ("aging", "exceptions")}
OUTCOMES = ("completed", "failed", "abandoned", "interrupted", "skipped", "running")


def _first_monday(today: date) -> date:
    return today - timedelta(days=today.weekday() + 7 * (WEEKS - 1))


def kpi_tiles(session: Session, role: str, today: date) -> tuple[list[dict], list]:
    """The role's tiles (figure over the last four weeks, definition, weekly trend) and the
    weekly table (week, value per tile)."""
    names = ROLE_KPIS.get(role, ())
    if not names:
        return [], []
    first = _first_monday(today)
    lines = load_lines(session, first, today)
    trend = kpi.weekly(lines, first, WEEKS)
    recent = lines[lines["order_date"] >= datetime.combine(today, datetime.min.time())
                   - timedelta(days=TILE_DAYS - 1)]  # fmt: skip
    now = kpi.compute(recent, by=())["kpis"]
    tiles = [
        {
            "name": name,
            "label": LABELS[name],
            "value": now[name],
            "definition": kpi.DEFINITIONS[name],
            "trend": [week_kpis[name] for _, week_kpis in trend],
        }
        for name in names
    ]
    return tiles, [(monday, [k[name] for name in names]) for monday, k in trend]


def exceptions_by_age(session: Session, role: str, now: datetime) -> tuple[list, dict]:
    """Open exceptions in this role's scope: kinds, and per age bucket a count per kind."""
    query = select(OpsException.kind, OpsException.opened_at).where(OpsException.status == "open")
    if (condition := exception_store.scope(role)) is not None:
        query = query.where(condition)
    counts = Counter(
        (kind, queues.age_bucket(opened, now)) for kind, opened in session.execute(query)
    )
    kinds = sorted({kind for kind, _ in counts})
    series = {
        label: [counts[(kind, label)] for kind in kinds] for _v, label, *_ in queues.AGE_BUCKETS
    }
    return kinds, series


def aging_by_bucket(session: Session, today: date) -> tuple[list[str], dict[str, list[int]]]:
    """Open order lines per age bucket (reports/aging.py's buckets and rule), per channel."""
    options = Options.from_settings(settings(), today)
    labels = [*aging.bucket_labels(options.aging_buckets), aging.NO_DATE]
    counts: dict[str, list[int]] = {}
    for row in aging.rows(session, options):
        series = counts.setdefault(row["channel"], [0] * len(labels))
        series[labels.index(row["bucket"])] += row["lines"]
    undated = any(series[-1] for series in counts.values())  # its column only when used
    keep = range(len(labels) if undated else len(labels) - 1)
    return [labels[n] for n in keep], {c: [v[n] for n in keep] for c, v in sorted(counts.items())}


def runs_by_outcome(session: Session, now: datetime) -> list[dict]:
    """Each job's runs started in the last day: how many per outcome, typical and longest."""
    query = select(JobRun).where(JobRun.started_at >= now - timedelta(days=1))
    per_job: dict[str, list[JobRun]] = {}
    for run in session.scalars(query.order_by(JobRun.job_id, JobRun.id)):
        per_job.setdefault(run.job_id, []).append(run)
    rows = []
    for job_id, runs in per_job.items():
        took = [d for d in map(duration_seconds, runs) if d is not None]
        outcomes = Counter(run.status for run in runs)
        rows.append(
            {
                "job_id": job_id,
                "outcomes": [outcomes.get(o, 0) for o in OUTCOMES],
                "runs": len(runs),
                "median": median(took) if took else None,
                "longest": max(took) if took else None,
            }
        )
    return rows


def _week_labels(today: date) -> list[str]:
    first = _first_monday(today)
    return [(first + timedelta(days=7 * n)).strftime("%d %b") for n in range(WEEKS)]


@bp.get("")
def index():
    role, now = current_user.role, utcnow()
    charts = ROLE_CHARTS.get(role, ())
    with db() as store:
        tiles, weekly = kpi_tiles(store, role, now.date())
        kinds, ages = exceptions_by_age(store, role, now) if "exceptions" in charts else ([], {})
        runs = runs_by_outcome(store, now) if "runs" in charts else []
        buckets, aged = aging_by_bucket(store, now.date()) if "aging" in charts else ([], {})
    return render_template(
        "dashboard/index.html",
        tiles=tiles,
        weekly=weekly,
        charts=charts,
        kinds=kinds,
        ages=ages,
        runs=runs,
        buckets=buckets,
        aged=aged,
        outcomes=OUTCOMES,
        tile_days=TILE_DAYS,
        weeks=WEEKS,
    )


def _svg(body: bytes) -> Response:
    response = Response(body, mimetype="image/svg+xml")
    # pygal styles its drawing inside the SVG; nothing in it runs (shown through <img>)
    response.headers["Content-Security-Policy"] = "default-src 'none'; style-src 'unsafe-inline'"
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/charts/<name>.svg")
def chart(name: str):
    """One chart of this role's dashboard; a chart that is not theirs does not exist."""
    role, now = current_user.role, utcnow()
    with db() as store:
        if name in ROLE_KPIS.get(role, ()):
            tiles, _ = kpi_tiles(store, role, now.date())
            tile = next(t for t in tiles if t["name"] == name)
            return _svg(kpi_charts.trend(tile["label"], _week_labels(now.date()), tile["trend"]))
        if name not in ROLE_CHARTS.get(role, ()):
            abort(404, f"There is no chart {name!r} on your dashboard.")
        if name == "aging":
            buckets, aged = aging_by_bucket(store, now.date())
            return _svg(kpi_charts.stacked("Open order lines by age (days)", buckets, aged))
        if name == "exceptions":
            kinds, ages = exceptions_by_age(store, role, now)
            labels = [kind.replace("_", " ") for kind in kinds]
            return _svg(kpi_charts.stacked("Open exceptions by age", labels, ages, True))
        rows = runs_by_outcome(store, now)
        series = {o: [r["outcomes"][i] for r in rows] for i, o in enumerate(OUTCOMES)}
        labels = [r["job_id"] for r in rows]
        return _svg(kpi_charts.stacked("Job runs in the last 24 hours", labels, series, True))
