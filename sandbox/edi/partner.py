"""The retailer's side of the file drop: dropping its 850s into Orderbridge's inbound folder,
its poll of the outbound folder (997s back, 860s after our 855s), and the 850s it sends by AS2.

Folders, under `<data_dir>/edi/beacon/` as Orderbridge's settings name them: inbound/ (what
the partner sends us), outbound/ (what we send it) and, its own, partner/ with picked/ (what
its poll took), as2_outbox/ and as2_sent/, and state.json (the drop's planted cases, control
numbers, what it answered). One poller at a time: the sandbox CLI or a test calls tick.
"""

from __future__ import annotations

import json
import os
import shutil
from datetime import date, datetime
from pathlib import Path
from typing import Any

from sandbox.edi import answers
from sandbox.edi.drop import ANSWERS_FROM, PARTNER, Drop, plan
from sandbox.edi.x12 import (
    Group,
    Interchange,
    OutGroup,
    OutSet,
    Party,
    X12ReadError,
    interchange,
    read,
)
from sandbox.world.records import World

NAME = "beacon"


def partner_dir(data_dir: Path) -> Path:
    return Path(data_dir) / "edi" / NAME


def _own(data_dir: Path) -> Path:
    return partner_dir(data_dir) / "partner"


def write_atomically(path: Path, data: bytes) -> None:
    """Written under a dot name and renamed, so a reader of the folder never sees half."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temp = path.with_name(f".{path.name}.tmp")
    temp.write_bytes(data)
    os.replace(temp, path)


def _clear(folder: Path) -> None:
    if folder.is_dir():
        for entry in folder.iterdir():
            if entry.is_dir():
                shutil.rmtree(entry)
            else:
                entry.unlink()


# -- the drop ---------------------------------------------------------------------------------


def drop_orders(data_dir: Path, world: World, today: date) -> dict[str, int]:
    """Write the retailer's 850s of this world into inbound/ and its AS2 ones into
    partner/as2_outbox/; a fresh partner: what either side left in inbound/ and outbound/
    and all the partner's own files go (Orderbridge's archive/ and error/ stay)."""
    root = partner_dir(data_dir)
    for folder in ("inbound", "outbound", "partner"):
        _clear(root / folder)
    drop = plan(world, today)
    for name, data in drop.files:
        write_atomically(root / "inbound" / name, data)
    for name, data in drop.as2:
        write_atomically(_own(data_dir) / "as2_outbox" / name, data)
    _save(data_dir, _fresh_state(drop))
    orders = {n for case, numbers in drop.planted.items() if case != "edi_unreadable"
              for n in numbers}  # fmt: skip
    return {"files": len(drop.files), "as2": len(drop.as2), "orders": len(orders)}


def _fresh_state(drop: Drop) -> dict[str, Any]:
    return {
        "planted": {case: list(numbers) for case, numbers in drop.planted.items()},
        "changes": drop.changes,
        "next_control": ANSWERS_FROM,
        "next_group": drop.next_group,
        "answered": [],
        "withheld": [],
        "changes_dropped": [],
    }


def planted(data_dir: Path) -> dict[str, list[str]]:
    """The dropped cases: case -> PO numbers (edi_unreadable: its file name)."""
    return _load(data_dir)["planted"]


# -- the partner's state ----------------------------------------------------------------------


def _state_path(data_dir: Path) -> Path:
    return _own(data_dir) / "state.json"


def _load(data_dir: Path) -> dict[str, Any]:
    path = _state_path(data_dir)
    if not path.exists():  # polled before any drop: no planted cases, every group answered
        return _fresh_state(Drop((), (), {}, {}, 1))
    return json.loads(path.read_text())


def _save(data_dir: Path, state: dict[str, Any]) -> None:
    write_atomically(_state_path(data_dir), json.dumps(state, indent=1, sort_keys=True).encode())


# -- the poll ---------------------------------------------------------------------------------


def _take(data_dir: Path) -> list[Path]:
    """Move each new file of outbound/ into partner/picked/ (a name seen before gets a
    suffix, never overwrites); names starting with "." are still being written."""
    outbound = partner_dir(data_dir) / "outbound"
    picked = _own(data_dir) / "picked"
    picked.mkdir(parents=True, exist_ok=True)
    taken = []
    for path in sorted(outbound.iterdir()) if outbound.is_dir() else []:
        if path.name.startswith(".") or not path.is_file():
            continue
        target, n = picked / path.name, 1
        while target.exists():
            target, n = picked / f"{path.name}.{n}", n + 1
        os.replace(path, target)
        taken.append(target)
    return taken


class _Poll:
    """One tick's answers, counted as they go, over the partner's state."""

    def __init__(self, data_dir: Path, now: datetime) -> None:
        self.data_dir, self.now = data_dir, now
        self.state = _load(data_dir)
        self.counts = dict.fromkeys(
            ("picked", "answered", "late", "rejected", "changes_dropped", "acks_received",
             "unreadable", "already_answered"), 0)  # fmt: skip

    def cases(self, name: str) -> set[str]:
        return set(self.state["planted"].get(name, ()))

    def file(self, path: Path) -> None:
        self.counts["picked"] += 1
        try:
            interchanges = read(path.read_bytes())
        except X12ReadError:
            self.counts["unreadable"] += 1  # a real partner would call; ours lets it be
            return
        for received in interchanges:
            for group in received.groups:
                self.group(received, group)

    def group(self, received: Interchange, group: Group) -> None:
        if group.functional_id == "FA":
            self.counts["acks_received"] += 1  # a 997 is never acknowledged
            return
        key = f"{received.sender[1]}:{received.control}:{group.control}"
        if key in self.state["answered"] or key in self.state["withheld"]:
            self.counts["already_answered"] += 1
            return
        late = self.cases("edi_997_late")
        if any(t.set_id == "856" and answers.po_numbers(t) & late for t in group.sets):
            self.state["withheld"].append(key)
            self.counts["late"] += 1
            return
        verdicts = [answers.judge(t, self.cases("edi_997_rejected")) for t in group.sets]
        self.send(received, group, "FA", "997", answers.body_997(group, verdicts))
        self.state["answered"].append(key)
        self.counts["answered"] += 1
        self.counts["rejected"] += sum(not v.accepted for v in verdicts)
        for v in verdicts:
            if v.accepted and v.tset.set_id == "855":
                self.change(received, group, answers.po_numbers(v.tset))

    def change(self, received: Interchange, group: Group, pos: set[str]) -> None:
        """The 860 of a planted edi_po_change order, once, after our 855 for it."""
        for po in sorted(pos & set(self.state["changes"]) - set(self.state["changes_dropped"])):
            self.send(received, group, "PC", "860", self.state["changes"][po])
            self.state["changes_dropped"].append(po)
            self.counts["changes_dropped"] += 1

    def send(self, received: Interchange, group: Group, fid: str, set_id: str,
             body: list) -> None:  # fmt: skip
        """One interchange of one set back to whoever sent `received`, into inbound/."""
        control, group_control = self.state["next_control"], self.state["next_group"]
        self.state["next_control"] += 1
        self.state["next_group"] += 1
        us = Party(received.sender[0], received.sender[1], group.gs.element(2))
        out = OutGroup(fid, group_control, [OutSet(set_id, "0001", body)], group.gs.element(8))
        data = interchange(PARTNER, us, control, [out], self.now)
        write_atomically(partner_dir(self.data_dir) / "inbound" / f"{control:09d}-{set_id}.x12",
                         data)  # fmt: skip


def tick(data_dir: Path, now: datetime) -> dict[str, int]:
    """The partner's poll: take what Orderbridge put in outbound/, answer each group once
    (a 997 into inbound/, except the planted late ones), drop the 860 of a planted order
    once our 855 for it came. Counts: picked (files), answered and late (groups), rejected
    (sets), changes_dropped (860s), acks_received (our 997s), unreadable (files),
    already_answered (groups seen before)."""
    poll = _Poll(Path(data_dir), now)
    for path in _take(Path(data_dir)):
        poll.file(path)
    _save(Path(data_dir), poll.state)
    return poll.counts


# -- AS2 --------------------------------------------------------------------------------------


def as2_outbox(data_dir: Path) -> list[Path]:
    """The 850 interchanges the partner has yet to send by AS2 (planted edi_over_as2)."""
    outbox = _own(data_dir) / "as2_outbox"
    if not outbox.is_dir():
        return []
    return sorted(p for p in outbox.iterdir() if p.is_file() and not p.name.startswith("."))


def take_as2_outbox(data_dir: Path) -> list[tuple[str, bytes]]:
    """(name, payload) of each pending AS2 interchange, moved to partner/as2_sent/ as it is
    taken, so each goes once."""
    sent = _own(data_dir) / "as2_sent"
    sent.mkdir(parents=True, exist_ok=True)
    taken = []
    for path in as2_outbox(data_dir):
        data = path.read_bytes()
        os.replace(path, sent / path.name)
        taken.append((path.name, data))
    return taken
