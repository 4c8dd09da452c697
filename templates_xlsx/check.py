"""Check an uploaded workbook: safety pre-check, parse in a limited child, the template marker,
schema validation and the cross-checks against the store. Nothing is written anywhere.

The result carries the JSON the CLI prints ({"status", "reason", "message", "rows",
"errors"}) and, for the preview and the results workbook, the validated columns.
"""

from __future__ import annotations

import gc
import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from core.store import session_scope
from templates_xlsx import get_kind
from templates_xlsx.kind import CellError, CheckContext, SheetKind, Table
from templates_xlsx.parse import ParsedSheet, start_parse
from templates_xlsx.safety import Limits, Refused, SafetyReport, precheck
from templates_xlsx.template import MARKER_SHEET, MARKER_TAG
from templates_xlsx.validate import SheetValidator

log = logging.getLogger(__name__)


@dataclass
class CheckResult:
    kind: str
    status: str  # valid | invalid | refused
    reason: str | None = None
    message: str = ""
    rows: int = 0
    errors: list[CellError] = field(default_factory=list)
    sha256: str | None = None
    table: Table | None = None
    sheet: str | None = None
    template: bool = False  # the workbook carries our kind/version marker
    marker: dict[str, str] = field(default_factory=dict)
    child_maxrss_kb: int = 0

    @property
    def exit_code(self) -> int:
        return {"valid": 0, "invalid": 1}.get(self.status, 2)

    def to_json(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "reason": self.reason,
            "message": self.message,
            "rows": self.rows,
            "errors": [e.to_json() for e in self.errors],
        }


def check_upload(
    settings: Any,
    kind_name: str,
    path: Path,
    *,
    session: Session | None = None,
    today: date | None = None,
) -> CheckResult:
    kind = get_kind(kind_name)
    limits = Limits.from_settings(settings)
    try:
        with gc_paused():
            return _check(kind, Path(path), limits, settings, session, today)
    except Refused as refused:
        return CheckResult(kind.name, "refused", refused.reason, refused.message)
    except Exception:  # noqa: BLE001 - a checker bug must never reach the user as a traceback
        log.exception("checking %s as %s failed", path, kind.name)
        message = "The workbook could not be checked; the problem has been logged."
        return CheckResult(kind.name, "refused", "check_failed", message)


def _check(
    kind: SheetKind,
    path: Path,
    limits: Limits,
    settings: Any,
    session: Session | None,
    today: date | None,
) -> CheckResult:
    report, parsed = _read(path, kind.name, limits)
    result = _identify(kind, parsed, report)
    if result.status != "refused":
        _validate(kind, parsed, report, result, settings, session, today)
    return result


class _GcPause:
    """Holders of a pause of the cyclic garbage collector, across threads."""

    lock = threading.Lock()
    holders = 0
    was_enabled = False


@contextmanager
def gc_paused() -> Iterator[None]:
    """No cyclic collection while a workbook is checked. The check builds a few million
    objects and no cycles, and each collection rescans all of them: a third of the
    validation and cross-check time went there. Reference counting still frees everything;
    the collector runs again when the last check in the process ends."""
    with _GcPause.lock:
        if _GcPause.holders == 0:
            _GcPause.was_enabled = gc.isenabled()
            gc.disable()
        _GcPause.holders += 1
    try:
        yield
    finally:
        with _GcPause.lock:
            _GcPause.holders -= 1
            if _GcPause.holders == 0 and _GcPause.was_enabled:
                gc.enable()


def _read(path: Path, sheet: str, limits: Limits) -> tuple[SafetyReport, ParsedSheet]:
    """The parse child starts up (interpreter, python-calamine) while the safety pre-check
    runs, but is told which file to read only once the pre-check has passed it; a refused
    pre-check ends the child, which never saw the file."""
    with start_parse(limits) as job:
        report = precheck(path, limits)
        return report, job.parse(path, sheet, MARKER_SHEET)


def _identify(kind: SheetKind, parsed: ParsedSheet, report: SafetyReport) -> CheckResult:
    result = CheckResult(kind.name, "valid", sha256=report.sha256, sheet=parsed.sheet)
    result.child_maxrss_kb = parsed.maxrss_kb
    marker = _read_marker(parsed.marker)
    if marker is None:
        return result
    found, version = marker.get("kind", ""), marker.get("version", "")
    if found != kind.name:
        raise Refused(
            "wrong_template",
            f"This workbook is the {found or 'unknown'} template; for {kind.title.lower()} use "
            f"the {kind.name} template (download it again from Orderbridge).",
        )
    if version != str(kind.version):
        raise Refused(
            "old_template",
            f"This is version {version} of the {kind.name} template; download the current "
            f"version {kind.version} and copy your rows into it.",
        )
    result.template, result.marker = True, marker
    return result


def _read_marker(rows: list[list[Any]] | None) -> dict[str, str] | None:
    if not rows or not rows[0] or rows[0][0] != MARKER_TAG:
        return None
    first = [_text(v) for v in rows[0]] + ["", ""]
    marker = {"kind": first[1], "version": first[2]}
    for row in rows[1:]:
        if len(row) >= 2:
            marker[_text(row[0])] = _text(row[1])
    return marker


def _text(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _validate(
    kind: SheetKind,
    parsed: ParsedSheet,
    report: SafetyReport,
    result: CheckResult,
    settings: Any,
    session: Session | None,
    today: date | None,
) -> None:
    sheet = parsed.sheet
    validator = SheetValidator(kind, parsed, report.sheet(sheet) if sheet else None)
    result.rows = len(parsed.row_numbers)
    if sheet is None:
        return _finish(result, [_wrong_sheet(kind, sheet)])
    validator.check_layout()
    if not validator.check_header():
        if sheet.casefold() != kind.name.casefold() and not result.template:
            validator.errors = [_wrong_sheet(kind, sheet)]
        return _finish(result, validator.errors)
    if not parsed.row_numbers:
        message = "The sheet has a header but no rows; fill in at least one row from row 2."
        validator.error(2, None, "no_rows", message)
        return _finish(result, validator.errors)
    limits = Limits.from_settings(settings)
    if result.rows > limits.max_rows:
        raise Refused("shape", f"{result.rows:,} rows; at most {limits.max_rows:,} per workbook.")
    table = validator.run()
    result.table = table
    if table.good_indexes():
        _cross_check(kind, table, validator, settings, session, today)
    return _finish(result, validator.errors)


def _cross_check(
    kind: SheetKind,
    table: Table,
    validator: SheetValidator,
    settings: Any,
    session: Session | None,
    today: date | None,
) -> None:
    today = today or datetime.now(timezone.utc).date()
    if session is None:
        with session_scope(settings.database_url) as own:
            problems = kind.cross_check(table, CheckContext(own, settings, today))
    else:
        problems = kind.cross_check(table, CheckContext(session, settings, today))
    after_last = (table.row_numbers[-1] + 1) if table.row_numbers else 2
    for problem in problems:
        row = table.row_numbers[problem.index] if problem.index >= 0 else after_last
        validator.error(row, problem.field, problem.code, problem.message)
        if problem.index >= 0:
            table.bad_rows.add(problem.index)


def _wrong_sheet(kind: SheetKind, sheet: str | None) -> CellError:
    message = (
        f"There is no sheet named '{kind.name}'"
        + (f" and the sheet '{sheet}' does not have its columns" if sheet else "")
        + f"; use the {kind.name} template."
    )
    return CellError(1, None, "", "A", "wrong_sheet", message, sheet or "")


def _finish(result: CheckResult, errors: list[CellError]) -> None:
    errors.sort(key=lambda e: (e.row, e.column_letter.rjust(3), e.code))
    result.errors = errors
    if errors:
        result.status = "invalid"
        rows = len({e.row for e in errors})
        result.message = (
            f"{len(errors)} problem(s) in {rows} row(s); nothing was applied. Fix them and "
            "upload the whole workbook again."
        )
    else:
        result.message = f"{result.rows} row(s) are valid."
