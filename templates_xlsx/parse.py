"""Run the parse child and read back its result: limits, timeout, and a refusal per failure.

`start_parse` starts the child and returns at once, so the caller can run the safety
pre-check's ZIP scan while the child reads (the child is limited and sandboxed either way);
a refused scan cancels the job and its refusal is the one reported. The child's stderr is
captured and logged at debug level, never shown. Its pickle is read with an unpickler that
builds nothing but plain values and dates, so even a subverted child cannot make this
process run code.
"""

from __future__ import annotations

import datetime
import io
import logging
import pickle
import signal
import subprocess
import sys
import time
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
    with start_parse(path, sheet, marker, limits) as job:
        return job.result()


def start_parse(path: Path, sheet: str, marker: str, limits: Limits) -> ParseJob:
    """Start the parse child now; use as a context manager so it is always reaped."""
    return ParseJob(path, sheet, marker, limits)


class ParseJob:
    """One running parse child: result() waits for it, cancel() ends it."""

    def __init__(self, path: Path, sheet: str, marker: str, limits: Limits) -> None:
        self.limits = limits
        self.deadline = time.monotonic() + limits.parse_timeout_seconds
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
        self.process = subprocess.Popen(
            command,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=CHILD_ENV,  # none of our settings or secrets reach the process that parses
        )

    def __enter__(self) -> ParseJob:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.cancel()

    def cancel(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        self.process.communicate()

    def result(self) -> ParsedSheet:
        try:
            # the child's own alarm ends it at the deadline; a slow pre-check still leaves
            # time to read what a finished child wrote
            stdout, stderr = self.process.communicate(
                timeout=max(5.0, self.deadline - time.monotonic())
            )
        except subprocess.TimeoutExpired as exc:
            self.cancel()
            raise _timeout(self.limits) from exc
        if stderr:
            log.debug("parse child stderr: %s", stderr[-2000:].decode("utf-8", "replace"))
        if self.process.returncode != 0:
            raise _died(self.process.returncode, self.limits)
        return _parsed(stdout)


def _parsed(stdout: bytes) -> ParsedSheet:
    try:
        result = _PlainUnpickler(io.BytesIO(stdout)).load()
        if result.get("ok"):
            columns = [decode(column) for column in result["columns"]]
    except Exception as exc:  # noqa: BLE001 - any damage to the result is a failed parse
        raise Refused("parse_failed", "The workbook could not be read.") from exc
    if not result.get("ok"):
        log.info("parse child refused the file: %s %s", result.get("error"), result.get("detail"))
        raise _failure(result)
    return ParsedSheet(
        sheet=result["sheet"],
        sheets=result["sheets"],
        header=result["header"],
        columns=columns,
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
        days = {v: datetime.date.fromordinal(v) if v else "" for v in set(ordinals)}
        return list(map(days.__getitem__, ordinals))
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
