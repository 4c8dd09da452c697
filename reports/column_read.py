"""Reading a Core select into one numpy array per column, a chunk at a time on the driver's
cursor (server-side on PostgreSQL): what the reconciliation and the KPIs read the store with.
Money and quantities leave the database as integers at the stored scale (ten-thousandths,
`Numeric(18, 4)`), rounded there, so no Decimal is made per line.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import BigInteger, Connection, Select, cast, func
from sqlalchemy.orm import Session

CHUNK = 50_000  # rows per fetch: bounded memory on a server-side cursor, few round trips


def e4(column: Any) -> Any:
    """The column in ten-thousandths as an integer, rounded by the database (half away from
    zero on both engines; SQLite keeps Numeric as REAL, so the rounding absorbs its error)."""
    return cast(func.round(column * 10000), BigInteger)


def milli(e4: np.ndarray) -> np.ndarray:
    """Ten-thousandths to thousandths, half up (away from zero), as Decimal ROUND_HALF_UP."""
    return np.sign(e4) * ((np.abs(e4) + 5) // 10)


def days(values: np.ndarray) -> pd.arrays.IntegerArray:
    """Dates (date objects or ISO text) as days since 1970-01-01, missing where NULL."""
    days = values.astype("datetime64[D]")
    missing = np.isnat(days)
    return pd.arrays.IntegerArray(
        np.where(missing, 0, days.astype(np.int64)).astype(np.int32), missing
    )


KINDS: dict[str, Callable[[tuple[Any, ...]], np.ndarray]] = {
    "text": lambda values: np.array(values, dtype=object),
    "int": lambda values: np.fromiter(values, dtype=np.int64, count=len(values)),
    "bool": lambda values: np.fromiter(values, dtype=bool, count=len(values)),
    "date": lambda values: np.array(values, dtype="datetime64[D]"),
}


def cursor_of(connection: Connection) -> Any:
    """A driver cursor: server-side on PostgreSQL, so rows arrive a chunk at a time."""
    driver = connection.connection.driver_connection
    if connection.dialect.name == "postgresql":
        return driver.cursor(name="report_columns")
    return driver.cursor()


def read_columns(
    session: Session, statement: Select, kinds: dict[str, str]
) -> dict[str, np.ndarray]:
    """The statement's rows, a chunk at a time, as one array per column (named by `kinds`).

    The select is compiled by SQLAlchemy and fetched on the driver's cursor: SQLAlchemy's
    result rows cost more per line than the database does. Its parameters (the period's
    dates and this module's constants) are rendered as literals by SQLAlchemy."""
    connection = session.connection()
    compiled = statement.compile(dialect=connection.dialect, compile_kwargs={"literal_binds": True})
    parts: dict[str, list[np.ndarray]] = {name: [] for name in kinds}
    cursor = cursor_of(connection)
    try:
        cursor.execute(str(compiled))
        while chunk := cursor.fetchmany(CHUNK):
            for (name, kind), values in zip(kinds.items(), zip(*chunk, strict=True), strict=True):
                parts[name].append(KINDS[kind](values))
    finally:
        cursor.close()
    return {
        name: np.concatenate(arrays) if arrays else KINDS[kinds[name]](())
        for name, arrays in parts.items()
    }
