"""What a spreadsheet kind declares, and the shapes the upload pipeline passes around.

A kind is a marshmallow schema of CellFields (columns, types, rules, in sheet order) plus
row rules that span columns, and hooks for what needs the store: cross-checks, current
values, export rows, the approval rule, work items and their inverse.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any, ClassVar

from marshmallow import EXCLUDE, Schema, ValidationError, validates_schema
from sqlalchemy import String, any_, func, literal, or_, select
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from templates_xlsx.fields import CellField

# Order and line statuses after which a change makes no sense.
CLOSED_STATUSES = frozenset(
    {"cancelled", "canceled", "closed", "shipped", "billed", "invoiced", "fulfilled", "completed"}
)


@dataclass(frozen=True)
class RowRule:
    """A rule across columns of one row, e.g. Effective To not before Effective From."""

    code: str
    field: str  # the column the error is reported on
    needs: tuple[str, ...]  # checked only when these cells hold valid values
    check: Callable[[dict[str, Any]], bool]
    message: Callable[[dict[str, Any]], str]


class SheetSchema(Schema):
    """Base schema of a data sheet: unknown keys are ignored, row rules run per row."""

    class Meta:
        unknown = EXCLUDE

    row_rules: ClassVar[tuple[RowRule, ...]] = ()

    @validates_schema(skip_on_field_errors=False)
    def _row_rules(self, data: dict[str, Any], **kwargs: Any) -> None:
        errors: dict[str, list[str]] = {}
        for rule in self.row_rules:
            if rule_fails(rule, data):
                errors.setdefault(rule.field, []).append(rule.message(data))
        if errors:
            raise ValidationError(errors)


def rule_fails(rule: RowRule, row: dict[str, Any]) -> bool:
    return all(row.get(name) is not None for name in rule.needs) and not rule.check(row)


@dataclass
class CellError:
    row: int  # the Excel row number
    field: str | None
    column: str  # the header text
    column_letter: str
    code: str
    message: str
    sheet: str = ""

    def to_json(self) -> dict[str, Any]:
        return {
            "sheet": self.sheet,
            "row": self.row,
            "column": self.column,
            "column_letter": self.column_letter,
            "code": self.code,
            "message": self.message,
        }


@dataclass
class Table:
    """Validated columns of a data sheet; index i is Excel row row_numbers[i]."""

    columns: dict[str, list[Any]]
    row_numbers: list[int]
    bad_rows: set[int] = field(default_factory=set)  # indexes with at least one error

    def __len__(self) -> int:
        return len(self.row_numbers)

    def row(self, index: int) -> dict[str, Any]:
        return {name: values[index] for name, values in self.columns.items()}

    def good_indexes(self) -> list[int]:
        return [i for i in range(len(self.row_numbers)) if i not in self.bad_rows]


@dataclass
class RowProblem:
    """A cross-check finding: row index into the Table, the column's field, code, message."""

    index: int
    field: str
    code: str
    message: str


@dataclass
class Change:
    """An approved row worked out against the store just before it is posted: what to send the
    ERP (records of `entity`, through the connector contract), the store's image of the row's
    record now, and how the store follows once the ERP took it."""

    entity: str
    records: list[Any]
    current: dict | None  # the store's image of the row's record now
    apply: Callable[[Session], None]
    # (customer, code) of an address book line the write removes: `records` are then the
    # lines kept, read from the ERP just before the write.
    removes: tuple[str, str] | None = None


@dataclass
class CheckContext:
    session: Session
    settings: Any
    today: date


class SheetKind:
    """One spreadsheet kind; subclasses set the class attributes and override hooks."""

    name: ClassVar[str]
    version: ClassVar[int]
    title: ClassVar[str]
    purpose: ClassVar[str]
    schema: ClassVar[type[SheetSchema]]
    exportable: ClassVar[bool] = True
    # Marker cells written into the template besides kind and version (audit: the sample).
    marker_extras: ClassVar[tuple[str, ...]] = ()
    # Posting: the ERP entity an approved row is written as, and the ERPs that take the kind
    # from Orderbridge (none: the kind is reviewed, never posted).
    entity: ClassVar[str | None] = None
    erps: ClassVar[frozenset[str]] = frozenset()

    def __init__(self) -> None:
        self._schema = self.schema()

    # --- the declaration ------------------------------------------------------------

    @property
    def fields(self) -> list[tuple[str, CellField]]:
        return [(name, f) for name, f in self._schema.fields.items()]  # type: ignore[misc]

    @property
    def key_fields(self) -> tuple[str, ...]:
        return tuple(name for name, f in self.fields if f.metadata.get("key"))

    def load_row(self, row: dict[str, Any]) -> dict[str, Any]:
        """marshmallow's verdict on one row of raw cells; raises ValidationError."""
        return self._schema.load({k: v for k, v in row.items() if not _blank(v)})

    def business_key(self, row: dict[str, Any]) -> str:
        return "/".join(_key_text(row.get(name)) for name in self.key_fields)

    # --- hooks that read the store --------------------------------------------------

    def cross_check(self, table: Table, ctx: CheckContext) -> list[RowProblem]:
        return []

    def current(self, session: Session, rows: list[dict[str, Any]]) -> list[dict | None]:
        """The store's values for each row, in the row's field names (None: new record)."""
        return [None] * len(rows)

    def changes(self, row: dict[str, Any], before: dict | None) -> dict[str, tuple[Any, Any]]:
        """Field-level diff: {field: (current, new)} for what this row would change."""
        fields = [name for name, _ in self.fields if name not in self.key_fields]
        if before is None:
            return {name: (None, row.get(name)) for name in fields if row.get(name) is not None}
        return {
            name: (before.get(name), row.get(name))
            for name in fields
            if name in before and row.get(name) is not None and not _same(before[name], row[name])
        }

    def export_rows(self, session: Session, filters: dict[str, str | None]) -> list[dict]:
        raise NotImplementedError(f"{self.name} has no export")

    def needs_approval(self, preview: Any, settings: Any) -> str | None:
        return None

    def work_item(self, row: dict[str, Any], changes: dict[str, Any]) -> dict[str, Any]:
        """The payload the posting job carries out for one approved row."""
        return {"key": {k: row[k] for k in self.key_fields}, "set": changes}

    # --- hooks of the posting (apply_uploads plans, performs and settles) ------------

    def typed_key(self, payload: dict[str, Any]) -> dict[str, Any]:
        """The row's key in the types current() reads."""
        return dict(payload["key"])

    def change(self, session: Session, payload: dict[str, Any], erp: str, today: date) -> Change:
        """The approved row as a Change against the store now; RecordRejectedError when the
        store says it can no longer be posted (and why)."""
        raise NotImplementedError(f"{self.name} is not posted to an ERP")

    def scheduled_on(self, payload: dict[str, Any], today: date) -> date | None:
        """The later day the row takes effect on (the ERP is sent it then), or None."""
        return None

    def same_record(self, ours: Any, theirs: Any) -> bool:
        """Does the ERP's record, read back after a crash, hold what this kind sent?"""
        return False

    def inverse(self, payload: dict[str, Any], before: dict | None) -> dict[str, Any] | None:
        """The change that undoes `payload`, from the before-image (None: nothing to undo)."""
        if payload.get("delete"):  # the record comes back as it was before the removal
            if before is None:
                return None
            fields = (name for name, _ in self.fields if name not in self.key_fields)
            return {"key": payload["key"], "set": {k: before.get(k) for k in fields}}
        if before is None:
            return {"key": payload["key"], "delete": True}
        return {"key": payload["key"], "set": {k: before.get(k) for k in payload["set"]}}


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _key_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    return str(value)


def _same(a: Any, b: Any) -> bool:
    """Store and sheet values are both Decimal, date, bool or str here; 10 == 10.0000."""
    return a == b


def jsonable(value: Any) -> Any:
    """Values as they go into JSON payloads: Decimal as text, dates as ISO."""
    if isinstance(value, dict):
        return {k: jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    if isinstance(value, date):
        return value.isoformat()
    return value


def digest(value: Any) -> str:
    text = json.dumps(jsonable(value), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def chunked(values: Sequence[Any], size: int = 2000) -> list[Sequence[Any]]:
    """IN lists stay well under SQLite's and PostgreSQL's bound-parameter limits."""
    return [values[i : i + size] for i in range(0, len(values), size)]


def among(session: Session, column: Any, values: Sequence[str]) -> ColumnElement[bool]:
    """`column IN values` for many text values as one bound parameter: `= ANY(array)` on
    PostgreSQL, `IN (SELECT value FROM json_each(?))` on SQLite; both use the column's index.
    One statement instead of chunks, and no compiling of tens of thousands of placeholders.
    Other databases get IN lists in chunks."""
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        return column == any_(literal(list(values), ARRAY(String)))
    if dialect == "sqlite":
        listed = func.json_each(json.dumps(list(values))).table_valued("value")
        return column.in_(select(listed.c.value))
    return or_(*(column.in_(part) for part in chunked(list(values))))
