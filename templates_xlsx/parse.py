"""Run the parse child and read back its result: limits, timeout, and a refusal per failure.

`start_parse` starts a child that loads its parser and then waits, so its start-up overlaps
the caller's safety pre-check; the child learns which file to read only from `ParseJob.parse`,
which the caller runs once the pre-check has passed the file. A refused pre-check ends the
waiting child, which never saw the file. The child's stderr is captured and logged at debug
level, never shown. Its pickle is read with an unpickler that builds nothing but plain values
and dates, so even a subverted child cannot make this process run code.
"""

from __future__ import annotations

import datetime
import io
import json
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
    with start_parse(limits) as job:
        return job.parse(path, sheet, marker)


def start_parse(limits: Limits) -> ParseJob:
    """Start a parse child that waits for a file; use as a context manager so it is reaped."""
    return ParseJob(limits)


class ParseJob:
    """One parse child: parse() hands it the file and waits for it, cancel() ends it."""

    def __init__(self, limits: Limits) -> None:
        self.limits = limits
        # the file is not on the command line: the child gets it on stdin, after the go-ahead
        command = [
            sys.executable,
            "-I",
            str(CHILD),
            str(limits.parse_timeout_seconds),
            str(limits.parse_memory_mb),
        ]
        self.process = subprocess.Popen(
            command,
            stdin=subprocess.PIPE,
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

    def parse(self, path: Path, sheet: str, marker: str) -> ParsedSheet:
        """Send the go-ahead with the file to read and wait for the child's result."""
        request = json.dumps({"path": str(path), "sheet": sheet, "marker": marker})
        try:
            # the child's own alarm ends it at the deadline; the margin leaves time to read
            # what a child that finished just in time wrote
            stdout, stderr = self.process.communicate(
                (request + "\n").encode(), timeout=self.limits.parse_timeout_seconds + 5
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
