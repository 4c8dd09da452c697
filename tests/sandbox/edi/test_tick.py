"""The partner's poll: what Orderbridge puts in outbound/ is picked, each group answered once
by a 997 (but the planted late and rejected ones), and an 860 follows our 855 for a planted
change."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path

from sandbox.edi import partner
from sandbox.edi.x12 import read
from tests.sandbox.edi.test_drop import ROOT

NOW = datetime(2026, 3, 2, 9, 15, tzinfo=timezone.utc)
FUNCTIONAL = {"855": "PR", "856": "SH", "810": "IN", "997": "FA"}


def _body(set_id: str, po: str) -> list[list[str]]:
    """The least of each set that names its order, as Orderbridge's builders write them."""
    if set_id == "855":
        return [["BAK", "00", "AD", po, "20260301"], ["CTT", "1"]]
    if set_id == "856":
        return [["BSN", "00", f"S{po}", "20260302", "0900", "0001"], ["HL", "1", "", "S"],
                ["HL", "2", "1", "O"], ["PRF", po], ["CTT", "2"]]  # fmt: skip
    if set_id == "810":
        return [["BIG", "20260302", f"INV{po[-4:]}", "20260301", po],
                ["IT1", "1", "4", "EA", "12.5", "", "VP", "00302"], ["TDS", "5000"],
                ["CTT", "1"]]  # fmt: skip
    return [["AK1", "PO", "1001"], ["AK9", "A", "4", "4", "4"]]


def send(edi_dir: Path, control: int, set_id: str, pos: list[str]) -> Path:
    """An interchange of one group of `set_id` sets, one per PO, built by Orderbridge's own
    envelope builder, written into outbound/ as Orderbridge writes it."""
    from connectors.edi.build import OutGroup, OutSet, Party, interchange

    us = Party("ZZ", "ORDERBRIDGE", "ORDERBRIDGE")
    them = Party("ZZ", "BEACONRETAIL", "BEACONRETAIL")
    sets = [OutSet(set_id, f"{n:04d}", _body(set_id, po)) for n, po in enumerate(pos, 1)]
    group = OutGroup(FUNCTIONAL[set_id], str(control), "004010", sets)
    text = interchange(us, them, str(control), [group], NOW)
    path = edi_dir / "outbound" / f"{control:09d}-{set_id}.x12"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def answers(edi_dir: Path, set_id: str) -> list:
    """The partner's interchanges of `set_id` in inbound/, oldest first."""
    found = []
    for path in sorted((edi_dir / "inbound").glob(f"*-{set_id}.x12")):
        found += read(path.read_bytes())
    return found


def _ak(interchange, tag: str) -> list[list[str]]:
    tset = interchange.groups[0].sets[0]
    return [s.elements for s in tset.body if s.tag == tag]


def test_each_group_gets_one_accepting_997(edi_dir, planted):
    clean = planted["edi_order"]
    send(edi_dir, 11, "855", clean)
    send(edi_dir, 12, "856", clean[:1])
    (edi_dir / "outbound" / ".000000013-810.x12.tmp").write_bytes(b"half written")
    counts = partner.tick(edi_dir.parent.parent, NOW)
    assert counts["picked"] == 2 and counts["answered"] == 2
    assert counts["late"] == counts["rejected"] == counts["changes_dropped"] == 0
    assert (edi_dir / "outbound" / ".000000013-810.x12.tmp").exists()
    assert sorted(p.name for p in (edi_dir / "partner" / "picked").iterdir()) == [
        "000000011-855.x12", "000000012-856.x12"]  # fmt: skip
    first, second = answers(edi_dir, "997")
    assert first.receiver == ("ZZ", "ORDERBRIDGE") and first.sender == ("ZZ", "BEACONRETAIL")
    assert _ak(first, "AK1") == [["PR", "11"]]
    assert _ak(first, "AK2") == [["855", "0001"], ["855", "0002"], ["855", "0003"]]
    assert _ak(first, "AK5") == [["A"]] * 3
    assert _ak(first, "AK9") == [["A", "3", "3", "3"]]
    assert _ak(second, "AK1") == [["SH", "12"]]
    assert first.control != second.control


def test_a_tick_never_answers_twice(edi_dir, planted):
    data_dir = edi_dir.parent.parent
    path = send(edi_dir, 21, "855", planted["edi_order"][:1])
    resent = path.read_bytes()
    assert partner.tick(data_dir, NOW)["answered"] == 1
    assert partner.tick(data_dir, NOW)["picked"] == 0
    path.write_bytes(resent)  # the same interchange again: picked, not answered again
    counts = partner.tick(data_dir, NOW)
    assert counts["picked"] == 1 and counts["answered"] == 0 and counts["already_answered"] == 1
    assert len(answers(edi_dir, "997")) == 1
    assert len(list((edi_dir / "partner" / "picked").iterdir())) == 2


def test_the_late_856_is_never_acknowledged(edi_dir, planted):
    data_dir = edi_dir.parent.parent
    send(edi_dir, 31, "856", planted["edi_997_late"])
    send(edi_dir, 32, "855", planted["edi_997_late"])
    send(edi_dir, 33, "810", planted["edi_997_late"])
    counts = partner.tick(data_dir, NOW)
    assert counts["late"] == 1 and counts["answered"] == 2
    assert [_ak(ic, "AK1")[0][0] for ic in answers(edi_dir, "997")] == ["PR", "IN"]
    assert partner.tick(data_dir, NOW)["late"] == 0


def test_the_planted_810_is_rejected_pointing_at_its_segment(edi_dir, planted):
    data_dir = edi_dir.parent.parent
    (rejected,) = planted["edi_997_rejected"]
    send(edi_dir, 41, "810", [rejected])
    send(edi_dir, 42, "810", [planted["edi_order"][0], rejected])
    send(edi_dir, 43, "856", [rejected])
    counts = partner.tick(data_dir, NOW)
    assert counts["answered"] == 3 and counts["rejected"] == 2
    alone, mixed, shipped = answers(edi_dir, "997")
    assert _ak(alone, "AK3") == [["IT1", "3", "", "8"]]
    assert _ak(alone, "AK4") == [["3", "355", "7", "EA"]]
    assert _ak(alone, "AK5") == [["R", "5"]]
    assert _ak(alone, "AK9") == [["R", "1", "1", "0"]]
    assert _ak(mixed, "AK5") == [["A"], ["R", "5"]]
    assert _ak(mixed, "AK9") == [["P", "2", "2", "1"]]
    assert _ak(shipped, "AK5") == [["A"]]


def test_a_set_whose_trailer_is_wrong_is_rejected(edi_dir, planted):
    path = send(edi_dir, 51, "856", planted["edi_order"][:1])
    path.write_text(path.read_text().replace("SE*7*0001~", "SE*9*0001~"))
    assert partner.tick(edi_dir.parent.parent, NOW)["rejected"] == 1
    (ack,) = answers(edi_dir, "997")
    assert _ak(ack, "AK5") == [["R", "4"]]


def test_our_855_brings_the_planted_860_once(edi_dir, planted):
    data_dir = edi_dir.parent.parent
    first, second = planted["edi_po_change"]
    send(edi_dir, 61, "855", [first, planted["edi_order"][0]])
    assert partner.tick(data_dir, NOW)["changes_dropped"] == 1
    send(edi_dir, 62, "855", [first])  # an 855 again (a new interchange): no second 860
    assert partner.tick(data_dir, NOW)["changes_dropped"] == 0
    send(edi_dir, 63, "855", [second])
    assert partner.tick(data_dir, NOW)["changes_dropped"] == 1
    changes = answers(edi_dir, "860")
    assert [ic.groups[0].sets[0].first("BCH").element(3) for ic in changes] == [first, second]
    codes = [[s.element(2) for s in ic.groups[0].sets[0].body if s.tag == "POC"] for ic in changes]
    assert codes == [["QI", "DI", "AI"], ["QD", "DI", "AI"]]
    controls = [ic.control for ic in answers(edi_dir, "997") + changes]
    assert len(controls) == len(set(controls))


def test_the_860_reads_with_orderbridges_reader(edi_dir, planted):
    from connectors.edi import envelope, x12
    from connectors.edi.declaration import check_set
    from connectors.edi.sets import DECLARATIONS, pc860, po850

    first = planted["edi_po_change"][0]
    send(edi_dir, 71, "855", [first])
    partner.tick(edi_dir.parent.parent, NOW)
    (path,) = (edi_dir / "inbound").glob("*-860.x12")
    document = x12.read(path.read_bytes())
    assert envelope.validate(document) == []
    tset = document.interchanges[0].groups[0].sets[0]
    assert check_set(DECLARATIONS["860"], tset) == []
    change = pc860.parse(tset)
    assert change.po_number == first and not change.cancels_all
    original = next(
        po850.parse(t)
        for ic in x12.read((edi_dir / "inbound" / "000000101-850.x12").read_bytes()).interchanges
        for g in ic.groups
        for t in g.sets
        if t.body[0].element(3) == first
    )
    by_id = {line.line_id: line for line in original.lines}
    raised, deleted, added = change.lines
    assert raised.quantity > by_id["1"].quantity and raised.ids["vendor_part"] == by_id["1"].ids[
        "vendor_part"]  # fmt: skip
    assert deleted.deletes and deleted.line_id == "2"
    assert added.adds and added.line_id not in by_id
    assert added.ids["vendor_part"] not in {line.ids["vendor_part"] for line in original.lines}


def test_the_997s_validate_with_orderbridges_reader(edi_dir, planted):
    from connectors.edi import envelope, x12
    from connectors.edi.declaration import check_set
    from connectors.edi.sets import DECLARATIONS

    send(edi_dir, 81, "810", [planted["edi_997_rejected"][0], planted["edi_order"][0]])
    partner.tick(edi_dir.parent.parent, NOW)
    (path,) = (edi_dir / "inbound").glob("*-997.x12")
    document = x12.read(path.read_bytes())
    assert envelope.validate(document) == []
    assert check_set(DECLARATIONS["997"], document.interchanges[0].groups[0].sets[0]) == []


def test_our_997s_and_unreadable_files_are_picked_and_never_answered(edi_dir):
    send(edi_dir, 91, "997", ["-"])
    (edi_dir / "outbound" / "000000092-855.x12").write_bytes(b"not x12 at all")
    counts = partner.tick(edi_dir.parent.parent, NOW)
    assert counts["picked"] == 2 and counts["acks_received"] == 1 and counts["unreadable"] == 1
    assert counts["answered"] == 0 and not answers(edi_dir, "997")


def test_a_poll_before_any_drop_answers_everything(tmp_path):
    edi_dir = partner.partner_dir(tmp_path)
    send(edi_dir, 5, "856", ["4500000001"])
    assert partner.tick(tmp_path, NOW)["answered"] == 1


def test_take_as2_outbox_hands_each_payload_once(data_dir, planted):
    taken = partner.take_as2_outbox(data_dir)
    assert [name for name, _ in taken] == ["000000106-850.x12", "000000107-850.x12"]
    pos = [ic.groups[0].sets[0].first("BEG").element(3) for _, data in taken
           for ic in read(data)]  # fmt: skip
    assert pos == planted["edi_over_as2"]
    assert partner.as2_outbox(data_dir) == [] and partner.take_as2_outbox(data_dir) == []


def test_edi_tick_runs_from_the_command_line(edi_dir, planted):
    send(edi_dir, 101, "855", planted["edi_order"][:1])
    run = [sys.executable, "-m", "sandbox.cli", "--data-dir", str(edi_dir.parent.parent)]
    out = subprocess.run([*run, "edi-tick"], cwd=ROOT, check=True, capture_output=True)
    counts = json.loads(out.stdout)
    assert counts["picked"] == 1 and counts["answered"] == 1
    state = json.loads((edi_dir / "partner" / "state.json").read_text())
    assert len(state["answered"]) == 1
