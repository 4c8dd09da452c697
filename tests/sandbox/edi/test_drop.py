"""The retailer's drop on reset: its 850s in inbound/, readable by its own reader and by
Orderbridge's, with right envelopes except exactly where a case plants a wrong one."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from sandbox import SandboxState, cli
from sandbox.edi import partner
from sandbox.edi.cases import EDI, STORES, edi_table
from sandbox.edi.x12 import X12ReadError, envelope_errors, read
from sandbox.world import build_world
from tests.sandbox.conftest import TODAY

ROOT = Path(__file__).resolve().parents[3]
FILES = [
    "000000101-850.x12",
    "000000102-850.x12",
    "000000103-850.x12",
    "000000103-850_resent.x12",
    "000000104-850.x12",
    "000000105-850.x12",
]


def _inbound(edi_dir: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted((edi_dir / "inbound").iterdir())}


def _orders(data: bytes) -> list[tuple[str, str, object]]:
    """(ISA13, PO number, set) of each 850 in the file."""
    return [
        (ic.control, tset.first("BEG").element(3), tset)
        for ic in read(data)
        for group in ic.groups
        for tset in group.sets
    ]


def test_reset_drops_the_files_and_the_as2_payloads(edi_dir):
    assert list(_inbound(edi_dir)) == FILES
    outbox = partner.as2_outbox(edi_dir.parent.parent)
    assert [p.name for p in outbox] == ["000000106-850.x12", "000000107-850.x12"]


def test_every_file_parses_with_right_envelopes_but_the_planted_one(edi_dir, planted):
    bad = planted["edi_bad_segment"]
    found = []
    for name, data in _inbound(edi_dir).items():
        if name == planted["edi_unreadable"][0]:
            continue
        for ic in read(data):
            found += [(name, error) for error in envelope_errors(ic)]
    (only,) = found
    assert only[0] == "000000102-850.x12" and "AK5 code 4" in only[1]
    bad_sets = [t for _, po, t in _orders(_inbound(edi_dir)[only[0]]) if po in bad]
    assert len(bad_sets) == 1 and bad_sets[0].se.element(1) == str(len(bad_sets[0].body) + 3)
    assert len(_orders(_inbound(edi_dir)[only[0]])) == 4  # its other sets are good


def test_one_interchange_holds_several_groups_and_sets(edi_dir):
    (ic,) = read(_inbound(edi_dir)["000000101-850.x12"])
    assert len(ic.groups) == 2 and sum(len(g.sets) for g in ic.groups) == 6
    assert {g.functional_id for g in ic.groups} == {"PO"}


def test_the_drop_is_the_same_bytes_for_the_same_seed(tmp_path, edi_dir):
    again = tmp_path / "again"
    cli.reset(again, 1, TODAY)
    assert _inbound(partner.partner_dir(again)) == _inbound(edi_dir)
    other = tmp_path / "other"
    cli.reset(other, 2, TODAY)
    assert _inbound(partner.partner_dir(other)) != _inbound(edi_dir)


def test_a_second_reset_starts_the_partner_afresh(data_dir, edi_dir):
    (edi_dir / "outbound").mkdir(exist_ok=True)
    (edi_dir / "outbound" / "000000001-855.x12").write_bytes(b"left over")
    partner.take_as2_outbox(data_dir)
    cli.reset(data_dir, 1, TODAY)
    assert list(_inbound(edi_dir)) == FILES
    assert list((edi_dir / "outbound").iterdir()) == []
    assert len(partner.as2_outbox(data_dir)) == 2


def test_planted_counts_are_the_registrys(planted):
    assert set(planted) == set(EDI.cases)
    assert {name: len(numbers) for name, numbers in planted.items()} == {
        name: case.count for name, case in EDI.cases.items()
    }
    orders = [n for name, ns in planted.items() if name != "edi_unreadable" for n in ns]
    assert len(orders) == len(set(orders)) == 14
    assert all(len(n) == 10 and n.startswith("4500") and n.isdigit() for n in orders)


def test_each_planted_order_is_where_its_case_says(edi_dir, planted):
    files = _inbound(edi_dir)
    sent = [(f, ic, po, t) for f, data in files.items() if f != planted["edi_unreadable"][0]
            for ic, po, t in _orders(data)]  # fmt: skip
    (dup,) = planted["edi_duplicate_po"]
    assert len({ic for _, ic, po, _ in sent if po == dup}) == 2  # two interchanges
    (resent,) = planted["edi_resent_interchange"]
    assert [f for f, _, po, _ in sent if po == resent] == FILES[2:4]
    assert files[FILES[2]] == files[FILES[3]]
    (unknown,) = planted["edi_unknown_item"]
    known = {i.sku for i in build_world(1, TODAY).items}
    tset = next(t for _, _, po, t in sent if po == unknown)
    skus = [s.element(7) for s in tset.body if s.tag == "PO1"]
    assert [sku in known for sku in skus] == [True, True, False]
    stores = {po: t.first("N1").element(4) for _, _, po, t in sent}
    (unmapped,) = planted["edi_unmapped_store"]
    assert stores.pop(unmapped) not in STORES
    assert set(stores.values()) <= set(STORES)
    assert not set(planted["edi_over_as2"]) & {po for _, _, po, _ in sent}


def test_lines_are_priced_from_the_distributor_list(edi_dir, planted):
    world = build_world(1, TODAY)
    (unknown,) = planted["edi_unknown_item"]
    for data in list(_inbound(edi_dir).values())[:5]:
        for _, po, tset in _orders(data):
            for po1 in (s for s in tset.body if s.tag == "PO1"):
                assert po1.element(3) == "EA" and po1.element(6) == "VP"
                if po == unknown and po1 is tset.body[-2]:
                    continue
                item = world.item(po1.element(7))
                assert item.is_active
                price = world.price(item.sku, "Distributor", "USD", int(po1.element(2)))
                assert po1.element(4) == format(price.normalize(), "f")


def test_the_unreadable_file_is_not_x12(edi_dir, planted):
    (name,) = planted["edi_unreadable"]
    data = (edi_dir / "inbound" / name).read_bytes()
    try:
        read(data)
    except X12ReadError:
        pass
    else:
        raise AssertionError("the planted file reads as X12")


def test_orderbridges_reader_validates_every_file_but_the_planted_bad_ones(edi_dir, planted):
    from connectors.edi import envelope, x12
    from connectors.edi.declaration import check_set
    from connectors.edi.sets import DECLARATIONS, po850

    outbox = [p.read_bytes() for p in partner.as2_outbox(edi_dir.parent.parent)]
    for name, data in [*_inbound(edi_dir).items(), *(("as2", d) for d in outbox)]:
        if name == planted["edi_unreadable"][0]:
            try:
                x12.read(data)
            except x12.X12Error:
                continue
            raise AssertionError("Orderbridge reads the unreadable file")
        document = x12.read(data)
        assert x12.write(document) == data
        errors = envelope.validate(document)
        if name == "000000102-850.x12":
            assert [(e.code, e.element) for e in errors] == [("4", "SE01")]
        else:
            assert errors == [], name
        for tset in (t for ic in document.interchanges for g in ic.groups for t in g.sets):
            assert check_set(DECLARATIONS["850"], tset) == []
            order = po850.parse(tset)
            assert order.party("ST").id_qualifier == "92" and order.lines


def test_a_state_outside_a_data_folder_drops_nothing(tmp_path):
    state = SandboxState(tmp_path / "state.db")
    try:
        state.reset(1, TODAY)
    finally:
        state.close()
    assert not (tmp_path.parent / "edi").exists()


def test_the_readme_holds_the_edi_table():
    readme = (ROOT / "README.md").read_text()
    assert edi_table(TODAY) in readme


def test_the_planted_command_prints_the_edi_table():
    run = [sys.executable, "-m", "sandbox.cli", "planted"]
    out = subprocess.run(run, cwd=ROOT, check=True, capture_output=True, text=True).stdout
    assert edi_table(TODAY) in out


def test_reset_from_the_command_line_drops_the_files(tmp_path):
    run = [sys.executable, "-m", "sandbox.cli", "--data-dir", str(tmp_path)]
    subprocess.run([*run, "reset", "--seed", "1"], cwd=ROOT, check=True, capture_output=True)
    assert len(list((tmp_path / "edi" / "beacon" / "inbound").iterdir())) == len(FILES)
    out = subprocess.run([*run, "edi-tick"], cwd=ROOT, check=True, capture_output=True)
    assert json.loads(out.stdout)["picked"] == 0
