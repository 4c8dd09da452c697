"""The parse child: read one workbook with python-calamine under memory and time limits.

Run as a script by path (`python -I parse_child.py SECONDS MB`), so it imports nothing of ours
and nothing but the standard library and python-calamine. It sets its own limits first
(address space, CPU, a wall-clock alarm, no core files, no files written) and loads
python-calamine, then waits for one go-ahead line on stdin: JSON {"path", "sheet", "marker"}.
The parent sends it only after the safety pre-check has passed the file, so the child cannot
know the file, let alone open it, before then; end of input without a line means stop. Then
it writes one pickle to stdout: the chosen sheet's header and its data as columns (lists,
one per column; not per-row dicts), the sheet list, merged ranges, the marker sheet and the
child's peak memory. A parser that aborts or runs away takes only this process down.
"""

from __future__ import annotations

import contextlib
import gc
import json
import os
import pickle
import resource
import signal
import sys
from array import array
from datetime import date
from typing import Any

# Unit separator: joins a text column into one string, so the pickle holds a few large
# objects instead of a million small ones (dumping those costs more than the parse).
SEPARATOR = "\x1f"
# Wall-clock bound on waiting for the go-ahead; the parent's pre-check of the largest allowed
# file takes seconds, and a parent that dies closes our stdin first anyway.
WAIT_SECONDS = 600


def limit(seconds: int, megabytes: int, file_bytes: int = 0) -> None:
    memory = megabytes * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    resource.setrlimit(resource.RLIMIT_CPU, (seconds, seconds + 1))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    resource.setrlimit(resource.RLIMIT_FSIZE, (file_bytes, file_bytes))
    signal.alarm(seconds)  # default action ends the process, even inside native code


def _word(enum_value: Any) -> str:
    """'SheetVisibleEnum.Visible' -> 'Visible' (the binding's enums have no .name)."""
    return str(enum_value).rsplit(".", 1)[-1]


def pick_sheet(workbook: Any, wanted: str) -> tuple[str | None, list[tuple[str, str, str]]]:
    sheets = [(m.name, _word(m.visible), _word(m.typ)) for m in workbook.sheets_metadata]
    worksheets = [name for name, _visible, typ in sheets if typ == "WorkSheet"]
    chosen = next((n for n in worksheets if n.casefold() == wanted.casefold()), None)
    return chosen or (worksheets[0] if worksheets else None), sheets


def read(path: str, wanted: str, marker: str) -> dict[str, Any]:
    from python_calamine import CalamineWorkbook  # loaded already, while waiting

    workbook = CalamineWorkbook.from_path(path)
    chosen, sheets = pick_sheet(workbook, wanted)
    result: dict[str, Any] = {"ok": True, "sheets": sheets, "sheet": chosen, "marker": None}
    if any(name == marker for name, _visible, _typ in sheets):
        result["marker"] = workbook.get_sheet_by_name(marker).to_python(nrows=10)
    if chosen is None:
        return result | {"header": [], "columns": [], "row_numbers": [], "merged": []}
    sheet = workbook.get_sheet_by_name(chosen)
    rows = sheet.to_python(skip_empty_area=False)
    result["merged"] = list(sheet.merged_cell_ranges or [])
    header = rows[0] if rows else []
    width = len(header)
    data = rows[1:]
    columns = list(zip(*data, strict=True))
    kept = range(len(data))
    # only a column with an empty cell can make a row empty; most uploads have none
    if any("" in column for column in columns):
        kept = [i for i, row in enumerate(data) if row.count("") != width]
        if len(kept) != len(data):
            columns = list(zip(*(data[i] for i in kept), strict=True))
    result["header"] = header
    result["columns"] = [encode(column) for column in columns]
    result["row_numbers"] = [i + 2 for i in kept]
    return result


def encode(column: tuple[Any, ...]) -> tuple[str, Any]:
    """A column as ("text", joined) | ("number", float64 bytes, NaN = empty) |
    ("date", ordinals, 0 = empty) | ("mixed", list), whichever fits every cell."""
    kinds = set(map(type, column))
    if kinds <= {str}:
        joined = SEPARATOR.join(column)
        if joined.count(SEPARATOR) == len(column) - 1:
            return ("text", joined)
    elif kinds <= {float, str} and _only_blank_text(column, kinds):
        if str in kinds:
            column = tuple(v if v.__class__ is float else float("nan") for v in column)
        return ("number", array("d", column).tobytes())
    elif kinds == {date}:
        return ("date", array("q", map(date.toordinal, column)).tobytes())
    elif kinds <= {date, str} and _only_blank_text(column, kinds):
        ordinals = array("q", [v.toordinal() if v.__class__ is date else 0 for v in column])
        return ("date", ordinals.tobytes())
    return ("mixed", list(column))


def _only_blank_text(column: tuple[Any, ...], kinds: set[type]) -> bool:
    if str not in kinds:
        return True
    texts = [v for v in column if v.__class__ is str]
    return texts.count("") == len(texts)


def peak_memory_kb() -> int:
    """This process's own peak. Linux carries ru_maxrss over exec, so after the parent's
    (v)fork it reports the parent's peak if that was higher; VmHWM belongs to our image."""
    try:
        with open("/proc/self/status", "rb") as status:
            for line in status:
                if line.startswith(b"VmHWM:"):
                    return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def go_ahead() -> tuple[str, str, str] | None:
    """Block until the parent says which file to read; None when it says stop (or nothing)."""
    line = sys.stdin.buffer.readline()
    try:
        request = json.loads(line)
        return str(request["path"]), str(request["sheet"]), str(request["marker"])
    except (ValueError, TypeError, KeyError):
        return None


def main(argv: list[str]) -> int:
    seconds, megabytes = argv
    limit(int(seconds), int(megabytes))
    signal.alarm(WAIT_SECONDS)
    # A million cells and no reference cycles: the cyclic collector would only rescan them
    # (a tenth of the run); the process ends with os._exit and frees nothing one by one.
    gc.disable()
    # python-calamine loads before the go-ahead, off the critical path; a failure to load is
    # reported by read() once there is a file
    with contextlib.suppress(BaseException):
        import python_calamine  # noqa: F401
    request = go_ahead()
    if request is None:
        os._exit(0)
    signal.alarm(int(seconds))  # the parse's own wall clock starts at the go-ahead
    try:
        result = read(*request)
    except BaseException as exc:  # noqa: BLE001 - pyo3's PanicException is not an Exception
        result = {"ok": False, "error": type(exc).__name__, "detail": str(exc)[:300]}
    result["maxrss_kb"] = peak_memory_kb()
    pickle.dump(result, sys.stdout.buffer, protocol=pickle.HIGHEST_PROTOCOL)
    sys.stdout.buffer.flush()
    os._exit(0)  # skip freeing a million objects one by one at interpreter exit


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
