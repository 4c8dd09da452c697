"""Set declarations and the 997: each planted fault comes back with the codes X12 gives it
(AK3/AK4 for the segment and element, AK5 for the set, AK9 for the group), and every 997 we
write is itself a valid 997."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from connectors.edi import ack, envelope, x12
from connectors.edi.declaration import check_set
from connectors.edi.sets import DECLARATIONS
from tests.conftest import REFERENCE
from tests.connectors.edi.test_x12 import X12_FILES, po

WHEN = datetime(2026, 12, 7, 10, 15, tzinfo=timezone.utc)


def answer(data: str) -> tuple[x12.Document, list[list[str]]]:
    """The 997 for `data`, read back: the document and its body's segments as lists."""
    document = x12.read(ack.acknowledge(x12.read(data.encode()), WHEN).encode())
    (tset,) = document.interchanges[0].groups[0].sets
    return document, [[s.tag, *s.elements] for s in tset.body]


def test_a_clean_order_is_accepted_and_the_997_goes_back_to_its_sender():
    document, body = answer(po())
    assert body == [
        ["AK1", "PO", "905"],
        ["AK2", "850", "0001"],
        ["AK5", "A"],
        ["AK9", "A", "1", "1", "1"],
    ]
    (interchange,) = document.interchanges
    assert interchange.sender == ("ZZ", "RECEIVER") and interchange.receiver == ("ZZ", "SENDER")
    group = interchange.groups[0]
    assert (group.functional_id, group.gs.element(2), group.gs.element(3)) == (
        "FA", "RECEIVER", "SENDER",
    )  # fmt: skip
    assert interchange.control == "000000001" and envelope.validate(document) == []


@pytest.mark.parametrize(
    ("fault", "ak5", "ak9"),
    [
        (dict(se01="9"), ["AK5", "R", "4"], ["AK9", "R", "1", "1", "0"]),
        (dict(ge01="3"), ["AK5", "A"], ["AK9", "R", "3", "1", "1", "5"]),
    ],
    ids=["wrong SE01", "wrong GE01"],
)
def test_wrong_counts_reject_the_set_or_the_group(fault, ak5, ak9):
    _, body = answer(po(**fault))
    assert body[2] == ak5 and body[-1] == ak9


def test_control_numbers_that_differ_are_named():
    text = po().replace("SE*4*0001", "SE*4*0002").replace("GE*1*905", "GE*1*906")
    _, body = answer(text)
    assert body[2] == ["AK5", "R", "3"]
    assert body[-1] == ["AK9", "R", "1", "1", "0", "4"]


def test_a_missing_mandatory_segment_is_named_with_where_it_should_be():
    _, body = answer(po().replace("PO1*1*12*EA*2.5**BP*SKU-1~", "").replace("SE*4*", "SE*3*"))
    assert body[2] == ["AK3", "PO1", "3", "", "3"]  # after BEG, at the SE's place
    assert body[3] == ["AK5", "R", "5"]
    assert body[-1] == ["AK9", "R", "1", "1", "0"]


@pytest.mark.parametrize(
    ("bad", "ak4"),
    [
        ("BEG*00*SA*PO-1**20261307", ["AK4", "5", "", "8", "20261307"]),  # no 13th month
        ("BEG*00*SA***20261207", ["AK4", "3", "", "1"]),  # the PO number is mandatory
        ("BEG*00*SA*" + "X" * 23 + "**20261207", ["AK4", "3", "", "5", "X" * 23]),
        ("BEG*0*SA*PO-1**20261207", ["AK4", "1", "", "4", "0"]),
    ],
    ids=["bad date", "missing element", "too long", "too short"],
)
def test_a_bad_element_is_named_with_its_position_code_and_value(bad, ak4):
    _, body = answer(po().replace("BEG*00*SA*PO-1**20261207", bad))
    assert body[2] == ["AK3", "BEG", "2", "", "8"]
    assert body[3] == [part for part in ak4]
    assert body[4] == ["AK5", "R", "5"]


def test_an_unknown_or_misplaced_segment_is_named():
    _, body = answer(po().replace("PO1*", "ZZZ*1~PO1*").replace("SE*4*", "SE*5*"))
    assert body[2] == ["AK3", "ZZZ", "3", "", "6"]  # not in the set
    _, body = answer(po().replace("BEG*00*SA*PO-1**20261207~", "")
                     .replace("~SE*4*", "~BEG*00*SA*PO-1**20261207~SE*4*"))  # fmt: skip
    assert ["AK3", "BEG", "2", "", "3"] in body  # missing where it belongs ...
    assert ["AK3", "BEG", "3", "", "7"] in body  # ... and out of sequence where it came


def test_a_set_we_do_not_trade_is_rejected_as_not_supported():
    _, body = answer(po().replace("ST*850", "ST*830"))
    assert body[2] == ["AK5", "R", "1"] and body[-1][:2] == ["AK9", "R"]


def test_one_good_and_one_bad_set_is_a_partial_acceptance():
    second = "ST*850*0002~BEG*00*SA*PO-2**20261207~SE*3*0002~"  # no PO1 line
    _, body = answer(po(ge01="2").replace("GE*2*905~", second + "GE*2*905~"))
    assert ["AK5", "A"] in body and ["AK5", "R", "5"] in body
    assert body[-1] == ["AK9", "P", "2", "2", "1"]


@pytest.mark.skipif(not X12_FILES, reason=f"no X12 reference files under {REFERENCE / 'x12'}")
@pytest.mark.parametrize("path", X12_FILES, ids=lambda p: str(p.relative_to(REFERENCE / "x12")))
def test_every_reference_file_gets_a_997_that_is_itself_valid(path):
    received = x12.read(path.read_bytes())
    answered = x12.read(ack.acknowledge(received, WHEN).encode(received.encoding))
    assert envelope.validate(answered) == []
    groups = [g for i in received.interchanges for g in i.groups]
    acks = [t for i in answered.interchanges for g in i.groups for t in g.sets]
    assert len(acks) == len(groups)  # one 997 set per group received
    for tset in acks:
        assert check_set(DECLARATIONS["997"], tset) == [], path.name


def test_the_reference_997s_and_clean_850s_follow_their_declarations(reference):
    sets = []
    for path in X12_FILES:
        document = x12.read(path.read_bytes())
        sets += [(path, t) for i in document.interchanges for g in i.groups for t in g.sets]
    fa = [t for _, t in sets if t.set_id == "997"]
    assert len(fa) == 24 and all(check_set(DECLARATIONS["997"], t) == [] for t in fa)
    orders = [t for p, t in sets if t.set_id == "850" and p.parent.name == "node-x12"]
    assert len(orders) == 5 and all(check_set(DECLARATIONS["850"], t) == [] for t in orders)
    flagged = [t for _, t in sets if t.set_id == "850" and check_set(DECLARATIONS["850"], t)]
    assert len(flagged) == 9  # broken on purpose (line breaks inside segments) or off-standard
