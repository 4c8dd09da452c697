"""The parse child keeps a parser that aborts or runs away out of this process; real files
from other producers go through the check without a crash; the column pass and marshmallow
agree on every cell."""

from __future__ import annotations

import json
import time
import zipfile
from datetime import date, datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st
from marshmallow import ValidationError

from templates_xlsx import KINDS, check, parse, writeback
from templates_xlsx.check import CheckResult, check_upload
from templates_xlsx.safety import Limits, Refused
from templates_xlsx.validate import SheetValidator
from tests.templates_xlsx.workbooks import (
    ORDER_ROW,
    TODAY,
    seed_store,
    sheet_xml,
    with_sheet,
    workbook_bytes,
    write,
)

PRODUCERS = ("xlsx", "xlsm", "xlsb", "xls", "ods")


def limits(**changes) -> Limits:
    base = dict(
        max_bytes=10**8,
        max_rows=200_000,
        max_columns=50,
        max_parts=1000,
        max_ratio=100,
        max_unpacked_bytes=10**9,
        parse_timeout_seconds=20,
        parse_memory_mb=512,
    )
    return Limits(**(base | changes))


def test_a_parser_abort_kills_only_the_child(tmp_path):
    """Skip the pre-check on purpose: calamine aborts on a claimed cell at XFD1048576."""
    bomb = with_sheet(
        workbook_bytes("order_changes"),
        sheet_xml('<row r="1048576"><c r="XFD1048576"><v>1</v></c></row>'),
    )
    path = write(tmp_path, "bomb.xlsx", bomb)
    with pytest.raises(Refused) as refused:
        parse.parse_in_child(path, "order_changes", "_orderbridge", limits())
    assert refused.value.reason == "parse_failed"


def test_a_runaway_child_is_stopped_by_its_time_limit(tmp_path, monkeypatch):
    runaway = tmp_path / "runaway.py"
    runaway.write_text("import signal\nsignal.alarm(1)\nwhile True:\n    pass\n")
    monkeypatch.setattr(parse, "CHILD", runaway)
    with pytest.raises(Refused) as refused:
        parse.parse_in_child(tmp_path / "x.xlsx", "s", "m", limits(parse_timeout_seconds=1))
    assert refused.value.reason == "timeout"


def test_a_child_result_cannot_smuggle_objects(tmp_path, monkeypatch):
    evil = tmp_path / "evil.py"
    evil.write_text(
        "import os, pickle, sys\n"
        "class E:\n    def __reduce__(self):\n        return (os.system, ('true',))\n"
        "sys.stdout.buffer.write(pickle.dumps({'ok': True, 'x': E()}))\n"
    )
    monkeypatch.setattr(parse, "CHILD", evil)
    with pytest.raises(Refused) as refused:
        parse.parse_in_child(tmp_path / "x.xlsx", "s", "m", limits())
    assert refused.value.reason == "parse_failed"


# Stands between the parent and the real parse child and writes down everything the child is
# told (its arguments, each line on its stdin) before passing it on; the child is unchanged.
RELAY = """
import os, subprocess, sys
trace = open({trace!r}, "ab", buffering=0)
trace.write(b"argv " + repr(sys.argv[1:]).encode() + b"\\n")
child = subprocess.Popen([sys.executable, "-I", {child!r}, *sys.argv[1:]], stdin=subprocess.PIPE)
try:
    for line in sys.stdin.buffer:
        trace.write(b"stdin " + line)
        child.stdin.write(line)
        child.stdin.flush()
    child.stdin.close()
except BrokenPipeError:
    pass
code = child.wait()
if code < 0:
    os.kill(os.getpid(), -code)
sys.exit(code)
"""


def _told_the_child(tmp_path: Path, monkeypatch) -> Path:
    """Route the parse child through RELAY; the trace file of what it was told. The real
    pre-check is held until the relay has started and written down its arguments, so a
    refusal cannot end the child before the trace says what it had been told."""
    trace, relay = tmp_path / "told.txt", tmp_path / "relay.py"
    relay.write_text(RELAY.format(trace=str(trace), child=str(parse.CHILD)))
    monkeypatch.setattr(parse, "CHILD", relay)
    real = check.precheck

    def held(*args, **kwargs):
        deadline = time.monotonic() + 30
        while not trace.exists() and time.monotonic() < deadline:
            time.sleep(0.01)
        return real(*args, **kwargs)

    monkeypatch.setattr(check, "precheck", held)
    return trace


def test_the_parse_child_is_not_told_the_file_until_the_precheck_passes(
    tmp_path, monkeypatch, make_settings, db_url
):
    """The 5 KB file claiming a cell at XFD1048576 aborts calamine; the pre-check refuses it,
    and the child that was started meanwhile must never have learnt its path (so it cannot
    have opened it). A good file, checked the same way, does reach the child."""
    seed_store(db_url)
    trace = _told_the_child(tmp_path, monkeypatch)
    bomb = with_sheet(
        workbook_bytes("order_changes"),
        sheet_xml('<row r="1048576"><c r="XFD1048576"><v>1</v></c></row>'),
    )
    refused = write(tmp_path, "bomb.xlsx", bomb)
    result = check_upload(make_settings(), "order_changes", refused, today=TODAY)
    assert (result.status, result.reason) == ("refused", "shape")
    told = trace.read_text()
    assert told.startswith("argv ") and "bomb.xlsx" not in told

    trace.unlink()
    good = write(tmp_path, "good.xlsx", workbook_bytes("order_changes", [ORDER_ROW]))
    result = check_upload(make_settings(), "order_changes", good, today=TODAY)
    assert result.status == "valid", result.to_json()
    argv, go_ahead = trace.read_text().splitlines()
    assert "good.xlsx" not in argv
    assert go_ahead.startswith("stdin ") and json.loads(go_ahead[6:])["path"] == str(good)


def _checked(tmp_path: Path) -> tuple[Path, CheckResult]:
    source = write(tmp_path, "in.xlsx", workbook_bytes("order_changes", [ORDER_ROW]))
    return source, CheckResult("order_changes", "valid", sheet="order_changes", rows=1)


def test_the_results_workbook_is_written_by_a_limited_child(tmp_path):
    source, result = _checked(tmp_path)
    out = writeback.write_results(source, result, tmp_path / "out" / "results.xlsx")
    assert out.exists() and zipfile.is_zipfile(out)


def test_a_results_write_past_the_memory_limit_is_refused(tmp_path, monkeypatch):
    monkeypatch.setattr(writeback, "WRITE_MEMORY_MB", 64)
    source, result = _checked(tmp_path)
    with pytest.raises(writeback.ResultsWriteError) as refused:
        writeback.write_results(source, result, tmp_path / "out.xlsx")
    assert refused.value.reason == "too_large"
    assert "64 MB of memory" in refused.value.message
    assert not (tmp_path / "out.xlsx").exists()


def test_a_runaway_results_write_is_stopped_by_its_time_limit(tmp_path, monkeypatch):
    runaway = tmp_path / "runaway.py"
    runaway.write_text("import signal\nsignal.alarm(1)\nwhile True:\n    pass\n")
    monkeypatch.setattr(writeback, "CHILD", runaway)
    monkeypatch.setattr(writeback, "WRITE_TIMEOUT_SECONDS", 1)
    source, result = _checked(tmp_path)
    with pytest.raises(writeback.ResultsWriteError) as refused:
        writeback.write_results(source, result, tmp_path / "out.xlsx")
    assert refused.value.reason == "timeout"
    assert "longer than 1 seconds" in refused.value.message


def _reference_files(reference: Path) -> list[Path]:
    return sorted(p for p in (reference / "xlsx").rglob("*") if p.suffix.lstrip(".") in PRODUCERS)


def test_real_files_from_other_producers_go_through_check(reference, make_settings):
    settings = make_settings()
    seen = {}
    for path in _reference_files(reference):
        result = check_upload(settings, "order_changes", path, today=date(2026, 3, 1))
        json.dumps(result.to_json())
        assert result.status in ("valid", "invalid", "refused")
        assert result.reason != "check_failed", (path.name, result.message)
        seen[path.name] = result.status
    assert len(seen) > 100
    assert "invalid" in seen.values() and "refused" in seen.values()


CELLS = st.one_of(
    st.just(""),
    st.text(max_size=12),
    st.sampled_from(["change", "CANCEL", "hold ", "US", "Yes", "no", "2026-02-30", "2026-04-01"]),
    st.floats(allow_nan=False, allow_infinity=False, min_value=-1e6, max_value=1e6),
    st.integers(-5, 10**6).map(float),
    st.decimals(places=3, min_value=-100, max_value=100).map(float),
    st.dates(min_value=date(1990, 1, 1), max_value=date(2100, 1, 1)),
    st.datetimes(min_value=datetime(1990, 1, 1), max_value=datetime(2100, 1, 1)),
    st.booleans(),
)


@pytest.mark.parametrize("name", ["order_changes", "price_list", "ship_tos", "audit_review"])
@hsettings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_the_column_pass_and_marshmallow_flag_the_same_cells(name, data):
    kind = KINDS[name]
    names = [n for n, _ in kind.fields]
    rows = data.draw(
        st.lists(st.lists(CELLS, min_size=len(names), max_size=len(names)), min_size=1, max_size=4)
    )
    parsed = parse.ParsedSheet(
        sheet=name,
        sheets=[],
        header=[f.header for _, f in kind.fields],
        columns=[list(c) for c in zip(*rows, strict=True)],
        row_numbers=list(range(2, len(rows) + 2)),
        merged=[],
        marker=None,
        maxrss_kb=0,
    )
    validator = SheetValidator(kind, parsed, None)
    assert validator.check_header()
    validator.run()
    flagged = {(e.row, e.field) for e in validator.errors if e.code != "duplicate_key"}
    expected = set()
    for number, row in enumerate(rows, start=2):
        try:
            kind.load_row(dict(zip(names, row, strict=True)))
        except ValidationError as exc:
            expected |= {(number, field) for field in exc.messages}
    assert flagged == expected


def test_equal_cells_of_other_types_convert_on_their_own():
    """The column pass converts each distinct float once; 1 == 1.0 == True and 0.0 == -0.0
    share a dict key, so they must not share an answer."""
    quantity = dict(KINDS["order_changes"].fields)["quantity"]
    line = dict(KINDS["order_changes"].fields)["line"]
    values, codes = quantity.convert_column([1.0, True, -0.0, 0.0, 2.5, 2.5, ""])
    assert codes == {1: "bad_type"}
    assert [str(v) for v in values] == ["1.0", "None", "-0.0", "0.0", "2.5", "2.5", "None"]
    values, codes = line.convert_column([3.0, 3.5, True, 3.0, "4"])
    assert values == [3, None, None, 3, 4] and codes == {1: "bad_type", 2: "bad_type"}
