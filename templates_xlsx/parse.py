"""Run the parse child and read back its result: limits, timeout, and a refusal per failure.

The child's stderr is captured and logged at debug level, never shown. Its pickle is read
with an unpickler that builds nothing but plain values and dates, so even a subverted child
cannot make this process run code.
"""

from __future__ import annotations

import datetime
import io
import logging
import pickle
import signal
import subprocess
import sys
from array import array
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from templates_xlsx.safety import Limits, Refused

log = logging.getLogger(__name__)
CHILD = Path(__file__).with_name("parse_child.py")
CHILD_ENV = {"LC_ALL": "C.UTF-8"}
SEPARATOR = "\x1f"  # as parse_child.SEPARATOR (the child imports nothing of ours)
_ALLOWED = {
    ("datetime", name): getattr(datetime, name)
    for name in ("date", "datetime", "time", "timedelta", "timezone")
}


@dataclass
class ParsedSheet:
    sheet: str | None
    sheets: list[tuple[str, str, str]]  # name, visibility, type
    header: list[Any]
    columns: list[list[Any]]
    row_numbers: list[int]
    merged: list[tuple[tuple[int, int], tuple[int, int]]]
    marker: list[list[Any]] | None
    maxrss_kb: int


class _PlainUnpickler(pickle.Unpickler):
    def find_class(self, module: str, name: str) -> Any:
        try:
            return _ALLOWED[(module, name)]
        except KeyError:
            raise pickle.UnpicklingError(f"{module}.{name} is not allowed") from None


def parse_in_child(path: Path, sheet: str, marker: str, limits: Limits) -> ParsedSheet:
    command = [
        sys.executable,
        "-I",
        str(CHILD),
        str(path),
        sheet,
        marker,
        str(limits.parse_timeout_seconds),
        str(limits.parse_memory_mb),
    ]
    try:
        done = subprocess.run(
            command,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            env=CHILD_ENV,  # none of our settings or secrets reach the process that parses
            timeout=limits.parse_timeout_seconds + 5,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        raise _timeout(limits) from exc
    if done.stderr:
        log.debug("parse child stderr: %s", done.stderr[-2000:].decode("utf-8", "replace"))
    if done.returncode != 0:
        raise _died(done.returncode, limits)
    try:
        result = _PlainUnpickler(io.BytesIO(done.stdout)).load()
    except Exception as exc:  # noqa: BLE001 - any damage to the result is a failed parse
        raise Refused("parse_failed", "The workbook could not be read.") from exc
    if not result.get("ok"):
        log.info("parse child refused the file: %s %s", result.get("error"), result.get("detail"))
        raise _failure(result)
    return ParsedSheet(
        sheet=result["sheet"],
        sheets=result["sheets"],
        header=result["header"],
        columns=[decode(column) for column in result["columns"]],
        row_numbers=result["row_numbers"],
        merged=result["merged"],
        marker=result["marker"],
        maxrss_kb=result["maxrss_kb"],
    )


def decode(encoded: tuple[str, Any]) -> list[Any]:
    """The child's column encoding back to cell values ('' for an empty cell)."""
    kind, payload = encoded
    if kind == "text":
        return payload.split(SEPARATOR)
    if kind == "number":
        numbers = array("d")
        numbers.frombytes(payload)
        return [v if v == v else "" for v in numbers.tolist()]  # NaN marks an empty cell
    if kind == "date":
        ordinals = array("q")
        ordinals.frombytes(payload)
        return [datetime.date.fromordinal(v) if v else "" for v in ordinals.tolist()]
    return list(payload)


def _timeout(limits: Limits) -> Refused:
    return Refused(
        "timeout",
        f"Reading the workbook took longer than {limits.parse_timeout_seconds} seconds; "
        "split it into smaller workbooks.",
    )


def _died(code: int, limits: Limits) -> Refused:
    if -code in (signal.SIGALRM, signal.SIGXCPU, signal.SIGKILL):
        return _timeout(limits)
    return Refused(
        "parse_failed",
        "The workbook could not be read within the limits for uploads (it may be damaged or "
        f"far larger inside than it looks; limit {limits.parse_memory_mb} MB).",
    )


def _failure(result: dict[str, Any]) -> Refused:
    if result.get("error") == "PasswordError":
        return Refused("encrypted", "The workbook is password protected; remove the password.")
    if result.get("error") == "MemoryError":
        return Refused("parse_failed", "The workbook is too large to read within the limits.")
    return Refused("parse_failed", "The workbook is damaged and could not be read.")
