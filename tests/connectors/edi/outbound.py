"""What the outbound set tests share: a set's body sent in an interchange of its own, read
back, and held to its envelope and its declaration."""

from __future__ import annotations

from datetime import datetime, timezone

from connectors.edi import envelope, x12
from connectors.edi.build import OutGroup, OutSet, Party, interchange
from connectors.edi.declaration import check_set
from connectors.edi.sets import DECLARATIONS

WHEN = datetime(2026, 12, 8, 9, 0, tzinfo=timezone.utc)


def sent(set_id: str, functional_id: str, body, control: str = "12") -> x12.TransactionSet:
    """The one set of an interchange built around `body`, after it passed both checks."""
    text = interchange(
        Party("ZZ", "SUPPLIER", "SUPPLIER"), Party("ZZ", "RETAILER", "RETAILER"), control,
        [OutGroup(functional_id, control, "004010", [OutSet(set_id, "0001", body)])], WHEN,
    )  # fmt: skip
    document = x12.read(text.encode())
    assert envelope.validate(document) == []
    (tset,) = document.interchanges[0].groups[0].sets
    assert check_set(DECLARATIONS[set_id], tset) == []
    return tset
