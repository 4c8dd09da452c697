"""The write-back child: writes one results workbook with openpyxl under memory, time and
file-size limits, so the memory a large workbook takes is this process's, not the portal's.

Run as a script by path (`python -I writeback_child.py ROOT SECONDS MB MAX_BYTES`) with the
job as JSON on stdin (source, out, the check result without its table, the outcomes). It
imports our write-back code first, then sets its limits (address space, CPU, a wall-clock
alarm, no core files, files no larger than MAX_BYTES) and writes; it answers with one line of
JSON on stdout. Limits and the peak-memory reading are the parse child's.
"""

from __future__ import annotations

import errno
import json
import os
import sys
import zlib
from pathlib import Path
from typing import Any


def write(job: dict[str, Any]) -> None:
    from templates_xlsx.check import CheckResult
    from templates_xlsx.kind import CellError
    from templates_xlsx.writeback import write_results_here

    fields = job["result"]
    errors = [CellError(**error) for error in fields.pop("errors")]
    result = CheckResult(**fields, errors=errors)
    outcomes = {row: (status, message) for row, status, message in job["outcomes"] or []}
    columns = tuple(job.get("columns") or ("Status", "Message"))
    write_results_here(Path(job["source"]), result, Path(job["out"]), outcomes or None, columns)


def out_of_room(exc: BaseException | None) -> bool:
    """Did the write fail for want of memory or file size, anywhere in the exception chain?
    Under the address-space limit that shows as MemoryError, ENOMEM, or zlib's Z_MEM_ERROR
    (-4) when openpyxl inflates a part; past the file-size limit as EFBIG."""
    seen = 0
    while exc is not None and seen < 10:
        if isinstance(exc, MemoryError):
            return True
        if isinstance(exc, OSError) and exc.errno in (errno.ENOMEM, errno.EFBIG):
            return True
        if isinstance(exc, zlib.error) and str(exc).startswith("Error -4 "):
            return True
        exc, seen = exc.__cause__ or exc.__context__, seen + 1
    return False


def main(argv: list[str]) -> int:
    root, seconds, megabytes, max_bytes = argv
    sys.path.insert(0, root)
    import templates_xlsx.writeback  # noqa: F401 - our code is imported before the limits
    from templates_xlsx.parse_child import limit, peak_memory_kb

    job = json.load(sys.stdin)
    limit(int(seconds), int(megabytes), int(max_bytes))
    try:
        write(job)
        reply: dict[str, Any] = {"ok": True, "peak_kb": peak_memory_kb()}
    except BaseException as exc:  # noqa: BLE001 - MemoryError, a file-size error, anything
        reply = {"ok": False, "error": type(exc).__name__, "detail": str(exc)[:300]}
        reply["out_of_room"] = out_of_room(exc)
    sys.stdout.write(json.dumps(reply))
    sys.stdout.flush()
    os._exit(0)  # skip freeing the workbook's objects one by one at interpreter exit


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
