"""The partner's own X12 codec: what it writes it reads back, with right envelopes."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from sandbox.edi.x12 import (
    Delimiters,
    OutGroup,
    OutSet,
    Party,
    X12ReadError,
    envelope_errors,
    interchange,
    read,
)

US = Party("ZZ", "BEACONRETAIL", "BEACONRETAIL")
THEM = Party("ZZ", "ORDERBRIDGE", "ORDERBRIDGE")
WHEN = datetime(2026, 3, 2, 6, 30, tzinfo=timezone.utc)


def _two_groups(**kwargs) -> bytes:
    sets = [
        OutSet("850", "0001", [("BEG", "00", "SA", "4500000001", "", "20260302")]),
        OutSet("850", "0002", [("BEG", "00", "SA", "4500000002"), ("CTT", "1")], **kwargs),
    ]
    groups = [OutGroup("PO", 7, sets), OutGroup("PO", 8, sets[:1])]
    return interchange(US, THEM, 42, groups, WHEN)


def test_an_interchange_reads_back_with_every_count_right():
    (ic,) = read(_two_groups())
    assert ic.control == "000000042" and ic.sender == ("ZZ", "BEACONRETAIL")
    assert ic.receiver == ("ZZ", "ORDERBRIDGE")
    assert [g.control for g in ic.groups] == ["7", "8"]
    assert [len(g.sets) for g in ic.groups] == [2, 1]
    second = ic.groups[0].sets[1]
    assert second.se.elements == ["4", "0002"] and second.body[1].position == 3
    assert ic.iea.elements == ["2", "000000042"]
    assert envelope_errors(ic) == []


def test_the_isa_is_fixed_length_and_trailing_empty_elements_are_not_written():
    data = _two_groups()
    assert len(data.split(b"\n")[0]) == 106
    assert b"BEG*00*SA*4500000002~" in data


def test_a_planted_se01_is_the_one_envelope_error():
    (ic,) = read(_two_groups(se01=9))
    assert envelope_errors(ic) == ["group 7 set 0002: AK5 code 4"]


def test_delimiters_come_from_the_isa():
    data = interchange(US, THEM, 1, [OutGroup("PO", 1, [OutSet("850", "1", [("BEG", "00")])])],
                       WHEN, Delimiters("|", "^", "\n"))  # fmt: skip
    (ic,) = read(data)
    assert ic.delimiters == Delimiters("|", "^", "\n")
    assert ic.groups[0].sets[0].body[0].elements == ["00"]


@pytest.mark.parametrize(
    "data",
    [b"PK\x03\x04 not x12", b"", b"ISA*00*short~", b"ISA*00*          *00*" + b" " * 90],
)
def test_what_is_not_x12_raises(data):
    with pytest.raises(X12ReadError):
        read(data)


def test_envelopes_that_do_not_nest_raise():
    text = _two_groups().decode().replace("GE*2*7~\n", "")
    with pytest.raises(X12ReadError):
        read(text.encode())
