"""EDI in the store: control numbers never given twice, also to builders at the same moment,
and an interchange received twice known as such."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import update

from core.errors import ConfigError
from core.store import session_scope
from core.store.edi import LARGEST, allocate, record_received
from core.store.models import EdiControlNumber


def take(db_url: str, partner: str = "ACME", level: str = "isa", count: int = 1) -> list[int]:
    with session_scope(db_url) as session:
        return list(allocate(session, partner, level, count))


def test_numbers_follow_on_per_partner_and_level(db_url):
    assert take(db_url) == [1]
    assert take(db_url, count=3) == [2, 3, 4]
    assert take(db_url, level="gs") == [1]
    assert take(db_url, partner="OTHER") == [1]
    assert take(db_url) == [5]
    with pytest.raises(ValueError, match="one of isa, gs, st"):
        take(db_url, level="iea")


def test_builders_at_the_same_moment_never_get_the_same_number(db_url):
    got: list[int] = []
    lock = threading.Lock()
    errors: list[BaseException] = []

    def builder() -> None:
        try:
            for _ in range(25):
                numbers = take(db_url, "RACE", "st")
                with lock:
                    got.extend(numbers)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=builder) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert errors == []
    assert sorted(got) == list(range(1, 151))  # 150 numbers, each once, none skipped


def test_the_last_nine_digit_number_is_not_passed(db_url):
    take(db_url)
    with session_scope(db_url) as session:
        session.execute(update(EdiControlNumber).values(last=LARGEST - 1))
    assert take(db_url) == [LARGEST]
    with pytest.raises(ConfigError) as refused:
        take(db_url)
    assert refused.value.key == "edi.partners.ACME"


def test_an_interchange_received_twice_is_known_and_a_po_seen_before_is_named(db_url):
    def receive(control: str, pos: list[str]):
        with session_scope(db_url) as session:
            got = record_received(session, "ACME", "ZZ/RETAILER", "ZZ/SUPPLIER", control,
                                  ["850"] * len(pos), pos, "ISA...", "utf-8")  # fmt: skip
            return got.again, got.known_pos, got.row.id

    first = receive("000000905", ["PO-1", "PO-2"])
    assert first[:2] == (False, ())
    again = receive("000000905", ["PO-1", "PO-2"])
    assert again == (True, (), first[2])  # the same row: not processed twice
    assert receive("000000906", ["PO-2", "PO-3"])[:2] == (False, ("PO-2",))
