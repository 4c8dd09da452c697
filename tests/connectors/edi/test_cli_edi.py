"""`run.py edi parse` and `edi ack` on every reference file: no crash, no traceback, exit 0
for a valid file, 1 naming what is wrong, 2 for what is not X12; --rewrite writes it back."""

from __future__ import annotations

import json

import pytest

import run
from connectors.edi import x12
from tests.conftest import REFERENCE
from tests.connectors.edi.test_x12 import X12_FILES, po
from tests.helpers import cli


@pytest.fixture
def env(monkeypatch, settings):
    monkeypatch.setenv("ORDERBRIDGE__DATA_DIR", str(settings.data_path))
    monkeypatch.setenv("ORDERBRIDGE__DATABASE_URL", settings.database_url)


@pytest.mark.skipif(not X12_FILES, reason=f"no X12 reference files under {REFERENCE / 'x12'}")
@pytest.mark.parametrize("path", X12_FILES, ids=lambda p: str(p.relative_to(REFERENCE / "x12")))
def test_every_reference_file_parses_as_json_and_rewrites_byte_for_byte(path, env, tmp_path,
                                                                        capsys):  # fmt: skip
    out = tmp_path / "again.x12"
    code = run.main(["edi", "parse", str(path), "--json", "--rewrite", str(out)])
    printed = capsys.readouterr()
    assert "Traceback" not in printed.err
    parsed = json.loads(printed.out)
    assert code == (0 if parsed["valid"] else 1)
    for problem in parsed["problems"]:
        assert f"error: {problem}" in printed.err  # each named on its own line
    assert out.read_bytes() == path.read_bytes()
    assert run.main(["edi", "ack", str(path)]) == 0
    answered = x12.read(capsys.readouterr().out.encode(parsed["encoding"]))
    assert [t.set_id for i in answered.interchanges for g in i.groups for t in g.sets] == [
        "997" for i in parsed["interchanges"] for g in i["groups"]
    ]


def test_a_valid_order_shows_its_content(env, tmp_path, capsys):
    path = tmp_path / "po.x12"
    path.write_text(po())
    assert run.main(["edi", "parse", str(path), "--json"]) == 0
    (tset,) = json.loads(capsys.readouterr().out)["interchanges"][0]["groups"][0]["sets"]
    assert tset["supported"] and tset["errors"] == []
    assert tset["content"]["po_number"] == "PO-1"
    assert tset["content"]["lines"][0]["ids"] == {"buyer_part": "SKU-1"}


def test_an_invalid_file_exits_1_naming_the_error(env, tmp_path, capsys):
    path = tmp_path / "po.x12"
    path.write_text(po(se01="7"))
    assert run.main(["edi", "parse", str(path)]) == 1
    printed = capsys.readouterr()
    assert "set 850 0001: 4 segments, invalid" in printed.out
    assert "SE01: SE01 says '7' segments; the set has 4" in printed.err


@pytest.mark.parametrize("content", [b"", b"not edi at all", b"\x00\xff" * 40])
def test_what_is_not_x12_or_not_there_exits_2_with_one_line(content, env, tmp_path, capsys):
    path = tmp_path / "thing.x12"
    path.write_bytes(content)
    assert run.main(["edi", "parse", str(path)]) == 2
    assert run.main(["edi", "parse", str(tmp_path / "missing.x12")]) == 2
    err = capsys.readouterr().err
    assert "not an X12 interchange" in err and "cannot read" in err and "Traceback" not in err


def test_edi_parse_runs_as_a_person_types_it_with_no_store(settings, tmp_path):
    path = tmp_path / "po.x12"
    path.write_text(po())
    done = cli(settings, "edi", "parse", str(path),
               ORDERBRIDGE__DATABASE_URL=f"sqlite:///{tmp_path / 'never-made.db'}")  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "set 850 0001: 4 segments, valid" in done.stdout
    assert not (tmp_path / "never-made.db").exists()
