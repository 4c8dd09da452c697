"""The results workbook: a copy of the user's own file with Status and Message columns on the
data sheet, every failed cell marked and commented, and an errors-only sheet.

Values, number formats (so leading zeros and dates), data validations and the template
marker are kept, so the corrected file can be uploaded again (the Status and Message
columns are ignored then). openpyxl does not carry charts or images over; for a file that had
them, the Errors sheet says so.

openpyxl holds the whole workbook in memory (about 1 GB for 100,000 rows), so it runs in a
child process with memory, time and file-size limits (writeback_child.py), as the parser
does; a write that runs past them is refused with ResultsWriteError.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import signal
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any

from openpyxl import load_workbook
from openpyxl.comments import Comment
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter

from core.formula_safety import set_cell
from core.store.models import Upload, UploadRow
from templates_xlsx import get_kind
from templates_xlsx.check import CheckResult
from templates_xlsx.kind import CellError
from templates_xlsx.validate import header_key

log = logging.getLogger(__name__)
CHILD = Path(__file__).with_name("writeback_child.py")
ROOT = Path(__file__).resolve().parent.parent
CHILD_ENV = {"LC_ALL": "C.UTF-8"}
WRITE_TIMEOUT_SECONDS = 300
WRITE_MEMORY_MB = 3072
WRITE_MAX_BYTES = 1 << 30
ERRORS_SHEET = "Errors"
BAD_FILL = PatternFill("solid", fgColor="FFC7CE")
OK_FILL = PatternFill("solid", fgColor="C6EFCE")
AUTHOR = "Orderbridge"
# The columns a results workbook adds to the data sheet (validate.RESULT_COLUMNS ignores them).
RESULT_HEADERS = ("Status", "Message")
DROPPED = ("xl/charts/", "xl/drawings/", "xl/media/", "xl/pivotTables/")


class ResultsWriteError(Exception):
    """The results workbook could not be written within the limits; message says what to do."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason
        self.message = message


def write_results(
    source: Path,
    result: CheckResult,
    out: Path,
    outcomes: dict[int, tuple[str, str]] | None = None,
    columns: tuple[str, str] = RESULT_HEADERS,
) -> Path:
    """Write OUT from SOURCE and the check; `outcomes` (Excel row -> status, message) lets the
    posting job report per-row results later, otherwise rows are ok or error; `columns` names
    the two columns they go in. openpyxl runs in a limited child process; raises
    ResultsWriteError when it runs past the limits."""
    if result.sheet is None or result.status == "refused":
        raise ValueError("a refused workbook has no results to write back")
    fields = {f.name: getattr(result, f.name) for f in dataclasses.fields(result)}
    fields.pop("table")  # the child needs the errors, not the validated values
    fields["errors"] = [dataclasses.asdict(error) for error in result.errors]
    job = {
        "source": str(source),
        "out": str(out),
        "result": fields,
        "outcomes": [[row, *outcome] for row, outcome in (outcomes or {}).items()],
        "columns": list(columns),
    }
    limits = [str(WRITE_TIMEOUT_SECONDS), str(WRITE_MEMORY_MB), str(WRITE_MAX_BYTES)]
    try:
        done = subprocess.run(
            [sys.executable, "-I", str(CHILD), str(ROOT), *limits],
            input=json.dumps(job).encode(),
            capture_output=True,
            env=CHILD_ENV,
            timeout=WRITE_TIMEOUT_SECONDS + 5,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        out.unlink(missing_ok=True)
        raise _write_refused("timeout") from exc
    if done.stderr:
        log.debug("write-back child stderr: %s", done.stderr[-2000:].decode("utf-8", "replace"))
    try:
        reply = json.loads(done.stdout) if done.returncode == 0 else {}
    except ValueError:
        reply = {}
    if reply.get("ok"):
        log.debug("write-back child peak memory %s kB", reply.get("peak_kb"))
        return out
    log.warning("write-back child failed (exit %s): %s", done.returncode, reply)
    out.unlink(missing_ok=True)  # a child stopped mid-save leaves a broken file
    if -done.returncode in (signal.SIGALRM, signal.SIGXCPU, signal.SIGKILL):
        raise _write_refused("timeout")
    if done.returncode or reply.get("out_of_room"):
        raise _write_refused("too_large")  # a crash under the limits, or SIGXFSZ
    raise ResultsWriteError(
        "write_failed", "The results workbook could not be written; the problem has been logged."
    )


def _write_refused(reason: str) -> ResultsWriteError:
    if reason == "timeout":
        return ResultsWriteError(
            "timeout",
            f"Writing the results workbook took longer than {WRITE_TIMEOUT_SECONDS} seconds; "
            "split the upload into smaller workbooks.",
        )
    return ResultsWriteError(
        "too_large",
        "The results workbook could not be written within the limits for results workbooks "
        f"({WRITE_MEMORY_MB} MB of memory, {WRITE_MAX_BYTES >> 20} MB of file); split the "
        "upload into smaller workbooks.",
    )


def write_results_here(
    source: Path,
    result: CheckResult,
    out: Path,
    outcomes: dict[int, tuple[str, str]] | None = None,
    columns: tuple[str, str] = RESULT_HEADERS,
) -> Path:
    """write_results in this process (what the write-back child runs)."""
    if result.sheet is None or result.status == "refused":
        raise ValueError("a refused workbook has no results to write back")
    workbook = load_workbook(source)
    sheet = workbook[result.sheet]
    by_row: dict[int, list[CellError]] = {}
    for error in result.errors:
        by_row.setdefault(error.row, []).append(error)
    status_col, message_col = _result_columns(sheet, columns)
    for row in range(2, sheet.max_row + 1):
        errors = by_row.get(row, [])
        status, message = (outcomes or {}).get(row, _row_outcome(errors))
        if not errors and row not in (outcomes or {}) and _blank_row(sheet, row, status_col):
            continue
        set_cell(sheet.cell(row=row, column=status_col), status)
        set_cell(sheet.cell(row=row, column=message_col), message)
        sheet.cell(row=row, column=status_col).fill = BAD_FILL if errors else OK_FILL
    for error in result.errors:
        _mark(sheet, error)
    _errors_sheet(workbook, result, dropped=not result.template and _had_drawings(source))
    out.parent.mkdir(parents=True, exist_ok=True)
    workbook.save(out)
    return out


def _result_columns(sheet: Any, names: tuple[str, str]) -> tuple[int, int]:
    """Reuse the two columns of an earlier results workbook, else add them."""
    headers = {header_key(c.value): c.column for c in sheet[1] if c.value is not None}
    last = max([c.column for c in sheet[1] if c.value is not None] or [0])
    status = headers.get(header_key(names[0])) or last + 1
    message = headers.get(header_key(names[1])) or max(status, last) + 1
    for column, text in ((status, names[0]), (message, names[1])):
        cell = sheet.cell(row=1, column=column, value=text)
        cell.font = Font(bold=True)
    sheet.column_dimensions[get_column_letter(message)].width = 60
    return status, message


def _row_outcome(errors: list[CellError]) -> tuple[str, str]:
    if not errors:
        return "ok", ""
    return "error", "; ".join(f"{e.column}: {e.message}" if e.column else e.message for e in errors)


def _blank_row(sheet: Any, row: int, up_to: int) -> bool:
    return all(sheet.cell(row=row, column=c).value in (None, "") for c in range(1, up_to))


def _mark(sheet: Any, error: CellError) -> None:
    cell = sheet[f"{error.column_letter}{error.row}"]
    cell.fill = BAD_FILL
    text = f"{error.code}: {error.message}"
    if cell.comment is not None and cell.comment.author == AUTHOR:
        text = f"{cell.comment.text}\n{text}"
    cell.comment = Comment(text, AUTHOR, width=320, height=120)


def _errors_sheet(workbook: Any, result: CheckResult, dropped: bool) -> None:
    if ERRORS_SHEET in workbook.sheetnames:
        del workbook[ERRORS_SHEET]
    sheet = workbook.create_sheet(ERRORS_SHEET, 1)
    sheet.append(["Sheet", "Row", "Column", "Cell", "Code", "Message"])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for error in result.errors:
        values = [error.sheet, error.row, error.column, f"{error.column_letter}{error.row}"]
        row = sheet.max_row + 1
        for column, value in enumerate([*values, error.code, error.message], start=1):
            set_cell(sheet.cell(row=row, column=column), value)
    if not result.errors:
        sheet.append(["", "", "", "", "", result.message])
    if dropped:
        sheet.append([])
        sheet.append(["Note: charts and images of the original workbook were not carried over."])
    sheet.column_dimensions["F"].width = 80
    sheet.freeze_panes = "A2"


def _had_drawings(source: Path) -> bool:
    with zipfile.ZipFile(source) as archive:
        return any(name.startswith(DROPPED) for name in archive.namelist())


def sheet_layout(source: Path, sheet: str) -> tuple[dict[str, str], list[int]]:
    """Column letters by header, and the numbers of the rows that hold anything."""
    book = load_workbook(source, read_only=True)
    try:
        data = book[sheet]
        header = next(data.iter_rows(max_row=1, values_only=True), ())
        letters = {
            header_key(value): get_column_letter(n)
            for n, value in enumerate(header, start=1)
            if value is not None
        }
        filled = [
            number
            for number, values in enumerate(data.iter_rows(min_row=2, values_only=True), start=2)
            if any(v not in (None, "") for v in values[: len(header)])
        ]
    finally:
        book.close()
    return letters, filled


def blamed_field(payload: dict, headers: dict[str, str], letters: dict[str, str]) -> str:
    """The field a refused row's mark goes on: the first it sets that the sheet has."""
    names = [*payload.get("set", {}), "action", *(payload.get("key") or {})]
    return next((n for n in names if n in headers and header_key(headers[n]) in letters), names[-1])


# --- an upload's results workbook --------------------------------------------------------


def results_path(data_path: Path, upload_id: int) -> Path:
    return Path(data_path) / "uploads" / "results" / f"{upload_id}-results.xlsx"


OUTCOME = {"done": "posted", "rejected": "failed", "pending": "pending", "scheduled": "scheduled"}


def write_upload_results(upload: Upload, rows: list[UploadRow], out: Path) -> Path:
    """The uploaded file with each row's outcome, refused rows' cells marked and listed."""
    meta = upload.errors or {}
    source = Path(upload.stored_path or "")
    sheet = meta.get("sheet") or upload.kind
    letters, filled = sheet_layout(source, sheet)
    kind = get_kind(upload.kind)
    headers = {name: field.header for name, field in kind.fields}
    outcomes = {n: ("unchanged", "Matches current data; nothing to post.") for n in filled}
    errors: list[CellError] = []
    for row in rows:
        outcomes[row.row_number] = (OUTCOME.get(row.status, row.status), row.message or "")
        if row.status == "rejected":
            name = blamed_field(row.payload, headers, letters)
            header = headers.get(name, "")
            errors.append(
                CellError(row.row_number, name, header, letters.get(header_key(header), "A"),
                          "erp_rejected", row.message or "rejected", sheet)
            )  # fmt: skip
    result = CheckResult(upload.kind, "valid", rows=upload.rows, errors=errors, sheet=sheet)
    result.template = bool(meta.get("template"))
    posted = sum(1 for r in rows if r.status == "done")
    result.message = f"{posted} row(s) posted, {len(errors)} refused by the ERP."
    return write_results(source, result, out, outcomes)
