"""Geometry for the small inline SVG pictures; the templates only draw what this computes."""

from __future__ import annotations

from dataclasses import dataclass

from core.store.models import JobRun
from web.job_store import duration_seconds


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    status: str
    label: str


@dataclass(frozen=True)
class Timeline:
    width: int
    height: int
    bars: list[Bar]
    longest: float


def run_timeline(runs: list[JobRun], width: int = 720, height: int = 140) -> Timeline:
    """One bar per run, oldest on the left, height by duration; unfinished runs a stub."""
    runs = list(reversed(runs))  # callers pass newest first
    durations = [duration_seconds(run) for run in runs]
    longest = max((d for d in durations if d is not None), default=0.0) or 1.0
    slot = width / max(len(runs), 1)
    bars = []
    for index, (run, seconds) in enumerate(zip(runs, durations, strict=True)):
        bar_height = max(2.0, (seconds or 0.0) / longest * (height - 4))
        started = run.started_at.strftime("%Y-%m-%d %H:%M UTC") if run.started_at else "not started"
        took = f"{seconds:.1f} s" if seconds is not None else "unfinished"
        bars.append(
            Bar(
                x=round(index * slot + slot * 0.15, 1),
                y=round(height - bar_height, 1),
                width=round(max(slot * 0.7, 1.0), 1),
                height=round(bar_height, 1),
                status=run.status,
                label=f"run {run.id}: {run.status}, {took}, started {started}",
            )
        )
    return Timeline(width, height, bars, longest)
