"""The transaction sets Orderbridge reads and writes, each declared in its own module: a set
is one module plus one line here."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from connectors.edi.declaration import SetDeclaration
from connectors.edi.sets import asn856, fa997, inv810, pc860, po850, poa855
from connectors.edi.x12 import TransactionSet

# What each set's content reads into, where we read it.
CONTENT: dict[str, Callable[[TransactionSet], Any]] = {
    "810": inv810.parse,
    "850": po850.parse,
    "855": poa855.parse,
    "856": asn856.parse,
    "860": pc860.parse,
}
DECLARATIONS: dict[str, SetDeclaration] = {
    "810": inv810.DECLARATION,
    "850": po850.DECLARATION,
    "855": poa855.DECLARATION,
    "856": asn856.DECLARATION,
    "860": pc860.DECLARATION,
    "997": fa997.DECLARATION,
}
