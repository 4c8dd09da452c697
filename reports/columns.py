"""Report rows held as columns: one numpy array per column, numbers in the match's integer
units (cents, thousandths, ten-thousandths), NULL as a mask. A million lines cost a few
arrays, not a million dicts of Decimals; rows as people see them are made only when asked.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import numpy as np

MONEY_COLUMNS = frozenset(
    {"order_value", "shipped_value", "invoiced_value", "difference", "amount"}
)
PRICE_COLUMNS = frozenset({"order_price", "invoice_price"})
QTY_COLUMNS = frozenset({"ordered_qty", "shipped_qty", "invoiced_qty"})


def places(name: str) -> int | None:
    """Decimal places of a column's integers (cents: 2), None for a column kept as it is."""
    if name in MONEY_COLUMNS:
        return 2
    if name in PRICE_COLUMNS:
        return 4
    if name in QTY_COLUMNS:
        return 3
    return None


def from_decimal(value: Decimal | None, places: int) -> int | None:
    if value is None:
        return None
    return int((value * (10**places)).to_integral_value(ROUND_HALF_UP))


def to_decimal(value: int | None, places: int) -> Decimal | None:
    return None if value is None else Decimal(int(value)).scaleb(-places)


@dataclass
class Columns:
    """Equal-length masked arrays by column name, in row order."""

    arrays: dict[str, np.ma.MaskedArray]

    @classmethod
    def from_numpy(cls, fetched: Mapping[str, Any]) -> Columns:
        """From DuckDB's `fetchnumpy()`: masked where the column is NULL."""
        return cls({name: np.ma.asarray(values) for name, values in fetched.items()})

    @classmethod
    def from_rows(cls, rows: Sequence[Mapping[str, Any]], names: Iterable[str]) -> Columns:
        """From rows as people see them (Decimals), for the few rows made outside the match."""
        arrays = {}
        for name in names:
            digits = places(name)
            values = [row.get(name) for row in rows]
            if digits is not None:
                values = [from_decimal(v, digits) for v in values]
            missing = [v is None for v in values]
            present = [v for v in values if v is not None]
            whole = all(isinstance(v, int) and not isinstance(v, bool) for v in present)
            data = np.array(
                [0 if v is None else v for v in values] if whole else values,
                dtype=np.int64 if whole else object,
            )
            arrays[name] = np.ma.MaskedArray(data, mask=np.array(missing, dtype=bool))
        return cls(arrays)

    def __len__(self) -> int:
        return len(next(iter(self.arrays.values()))) if self.arrays else 0

    def __iter__(self) -> Iterator[dict[str, Any]]:
        """Rows as people see them: money, prices and quantities as Decimal, NULL as None."""
        names = list(self.arrays)
        lists = [self.arrays[name].tolist() for name in names]
        scales = [places(name) for name in names]
        for values in zip(*lists, strict=True):
            yield {
                name: value if digits is None else to_decimal(value, digits)
                for name, value, digits in zip(names, values, scales, strict=True)
            }

    def __add__(self, other: Columns) -> Columns:
        if not len(other):
            return self
        return Columns({n: np.ma.concatenate([a, other.arrays[n]]) for n, a in self.arrays.items()})

    def slice(self, start: int, stop: int) -> Columns:
        return Columns({name: array[start:stop] for name, array in self.arrays.items()})

    def values(self, name: str) -> tuple[np.ndarray, np.ndarray]:
        """A column's raw values and where it is NULL (both full arrays)."""
        array = self.arrays[name]
        return np.ma.getdata(array), np.ma.getmaskarray(array)
