"""The X12 reader and writer on every real file in the reference set and on built ones:
delimiters from each ISA, any layout, byte-for-byte round trips, envelope failures named."""

from __future__ import annotations

import pytest

from connectors.edi import envelope, x12
from tests.conftest import REFERENCE

X12_FILES = sorted(
    p for p in (REFERENCE / "x12").rglob("*") if p.is_file() and not p.name.startswith("LICENSE")
) if (REFERENCE / "x12").is_dir() else []  # fmt: skip


def isa(element="*", sub=">", terminator="~", control="000000905", repetition="U"):
    fields = ["00", " " * 10, "00", " " * 10, "ZZ", "SENDER".ljust(15), "ZZ",
              "RECEIVER".ljust(15), "261207", "1015", repetition, "00401", control, "0",
              "P"]  # fmt: skip
    return element.join(["ISA", *fields, sub]) + terminator


def po(element="*", terminator="~", breaks="", control="000000905", se01="4", ge01="1"):
    e, t = element, terminator
    segments = [
        f"GS{e}PO{e}SENDER{e}RECEIVER{e}20261207{e}1015{e}905{e}X{e}004010",
        f"ST{e}850{e}0001",
        f"BEG{e}00{e}SA{e}PO-1{e}{e}20261207",
        f"PO1{e}1{e}12{e}EA{e}2.5{e}{e}BP{e}SKU-1",
        f"SE{e}{se01}{e}0001",
        f"GE{e}{ge01}{e}905",
        f"IEA{e}1{e}{control}",
    ]
    return isa(e, terminator=t, control=control) + breaks + (t + breaks).join(segments) + t


@pytest.mark.skipif(not X12_FILES, reason=f"no X12 reference files under {REFERENCE / 'x12'}")
@pytest.mark.parametrize("path", X12_FILES, ids=lambda p: str(p.relative_to(REFERENCE / "x12")))
def test_every_reference_file_reads_and_writes_back_byte_for_byte(path):
    data = path.read_bytes()
    document = x12.read(data)
    assert document.interchanges, "an interchange was found"
    assert x12.write(document) == data
    for error in envelope.validate(document):  # each failure says where it is
        assert str(error).startswith(f"interchange {error.interchange}")


def test_the_reference_set_holds_the_sets_we_trade_and_its_envelope_faults_are_named(reference):
    folder = reference / "x12" / "oopfactory" / "ORD"
    steinmart = x12.read((folder / "_816" / "Steinmart_Example2.txt").read_bytes())
    (error,) = envelope.validate(steinmart)
    assert (error.level, error.code, error.element, error.position) == ("set", "3", "SE02", 24)
    assert str(error) == (
        "interchange 000000001, group 1, set 100001, segment 24, SE02: "
        "SE02 is '100002' but ST02 is '100001'"
    )
    adobe = x12.read((folder / "_850" / "Example3_Adobe_CLP.txt").read_bytes())
    (header,) = envelope.validate(adobe)
    assert header.code == "024" and "ISA06 is 14 characters, not 15" in header.message
    ebcdic = reference / "x12/bots-plugins/850_fixed/x12_850tofixed/850ebcdic/ebcdic.x12"
    document = x12.read(ebcdic.read_bytes())
    assert document.encoding == "cp037"
    assert [s.set_id for g in document.interchanges[0].groups for s in g.sets] == ["850"]


@pytest.mark.parametrize("breaks", ["", "\n", "\r\n", "\r", "\r\n    "])
def test_any_layout_between_segments_reads_the_same_and_writes_back_as_it_came(breaks):
    data = po(breaks=breaks).encode()
    document = x12.read(data)
    (interchange,) = document.interchanges
    assert interchange.delimiters == x12.Delimiters("*", ">", "~", None)
    (group,) = interchange.groups
    (tset,) = group.sets
    assert [s.tag for s in tset.body] == ["BEG", "PO1"]
    assert tset.body[0].element(3) == "PO-1" and tset.body[1].element(7) == "SKU-1"
    assert envelope.validate(document) == []
    assert x12.write(document) == data


def test_each_interchange_brings_its_own_delimiters_and_a_bom_is_kept():
    first = po()
    second = po("|", "\n", control="000000906")
    data = x12.BOM + (first + "\n" + second).encode()
    document = x12.read(data)
    assert [i.delimiters.element for i in document.interchanges] == ["*", "|"]
    assert [i.delimiters.segment for i in document.interchanges] == ["~", "\n"]
    assert [i.control for i in document.interchanges] == ["000000905", "000000906"]
    assert x12.write(document) == data


def test_the_repetition_separator_comes_from_isa11_from_version_00402():
    text = isa(repetition="^").replace("00401", "00501") + "IEA*0*000000905~"
    assert x12.read(text.encode()).interchanges[0].delimiters.repetition == "^"


def test_wrong_counts_and_control_numbers_are_named_with_the_code_a_997_reports():
    data = po(se01="9", ge01="2").replace("IEA*1*000000905", "IEA*3*000000999").encode()
    errors = envelope.validate(x12.read(data))
    assert [(e.level, e.code, e.element) for e in errors] == [
        ("interchange", "001", "IEA02"),
        ("interchange", "021", "IEA01"),
        ("group", "5", "GE01"),
        ("set", "4", "SE01"),
    ]
    assert "SE01 says '9' segments; the set has 4" in str(errors[3])


def test_a_set_or_group_never_closed_is_named_and_the_file_still_writes_back():
    data = po().split("SE*")[0].encode()  # cut off inside the set
    document = x12.read(data)
    errors = envelope.validate(document)
    assert [(e.level, e.code) for e in errors] == [
        ("interchange", "023"),
        ("group", "3"),
        ("set", "2"),
    ]
    assert x12.write(document) == data


@pytest.mark.parametrize(
    ("data", "says"),
    [
        (b"", "no ISA segment"),
        (b"hello world", "no ISA segment"),
        (b"UNA:+.? 'UNB+UNOC:3", "no ISA segment"),
        (b"junk ISA*00*", "text before the ISA"),
        (b"ISA*00*short", "fewer than 16 elements"),
    ],
)
def test_what_is_not_x12_is_refused_with_a_reason(data, says):
    with pytest.raises(x12.X12Error, match=says):
        x12.read(data)
