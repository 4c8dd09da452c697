"""Price list: unit prices per item, price level (or customer price list), currency, quantity
break and effective dates. A change beyond uploads.price_change_approval_percent needs a
second steward's approval."""

from __future__ import annotations

from datetime import date, datetime, timezone
from decimal import Decimal
from typing import Any

from marshmallow import validate
from sqlalchemy import select
from sqlalchemy.orm import Session

from core import records as rec
from core.store.models import Item, PriceListEntry
from templates_xlsx.fields import Amount, Choice, Code, ExcelDate
from templates_xlsx.kind import (
    Change,
    CheckContext,
    RowProblem,
    RowRule,
    SheetKind,
    SheetSchema,
    Table,
    jsonable,
)
from templates_xlsx.kind import chunked as _chunked
from templates_xlsx.posting import day, money

# ISO 4217 minor units of the currencies we price in.
CURRENCY_DECIMALS = {"USD": 2, "CAD": 2, "EUR": 2, "GBP": 2, "AUD": 2, "MXN": 2, "JPY": 0}
RANGE_KEY = ("item", "price_level", "currency", "min_quantity")
FAR_FUTURE = date.max


def _decimals(number: Decimal) -> int:
    exponent = number.as_tuple().exponent
    return max(0, -exponent) if isinstance(exponent, int) else 0


class PriceListSchema(SheetSchema):
    item = Code("Item", required=True, key=True, validate=validate.Length(max=80), example="SKU-1")
    price_level = Code(
        "Price Level",
        required=True,
        key=True,
        validate=validate.Length(max=80),
        help="Price level, or a customer's own price list.",
    )
    currency = Choice("Currency", required=True, key=True, choices=tuple(CURRENCY_DECIMALS))
    unit_price = Amount(
        "Unit Price",
        required=True,
        places=4,
        validate=validate.Range(min=0, min_inclusive=False),
        help="Greater than 0, with at most the currency's decimals (2 for USD, 0 for JPY).",
    )
    min_quantity = Amount(
        "Min Quantity",
        key=True,
        places=4,
        validate=validate.Range(min=0),
        help="Quantity break: the price applies from this quantity; blank means 0.",
    )
    effective_from = ExcelDate("Effective From", key=True, help="Blank: always in effect.")
    effective_to = ExcelDate("Effective To", help="Last day in effect; blank: open-ended.")

    row_rules = (
        RowRule(
            "too_many_decimals",
            "unit_price",
            ("unit_price", "currency"),
            lambda r: _decimals(r["unit_price"]) <= CURRENCY_DECIMALS[r["currency"]],
            lambda r: (
                f"{r['currency']} prices take at most {CURRENCY_DECIMALS[r['currency']]} decimals."
            ),
        ),
        RowRule(
            "bad_range",
            "effective_to",
            ("effective_from", "effective_to"),
            lambda r: r["effective_to"] >= r["effective_from"],
            lambda r: "Effective To is before Effective From.",
        ),
    )


class PriceList(SheetKind):
    name = "price_list"
    version = 1
    title = "Price list"
    purpose = "Add or change unit prices by item, price level, currency and quantity break."
    schema = PriceListSchema
    # Posting: NetSuite keeps one price list per item, currency and price level.
    entity = "price"
    erps = frozenset({"netsuite"})

    def _entries(self, session: Session, skus: list[str]) -> list[PriceListEntry]:
        found: list[PriceListEntry] = []
        for part in _chunked(sorted(set(skus))):
            found += session.scalars(select(PriceListEntry).where(PriceListEntry.sku.in_(part)))
        return found

    def current(self, session: Session, rows: list[dict[str, Any]]) -> list[dict | None]:
        entries = self._entries(session, [row["item"] for row in rows])
        by_key = {_entry_key(e): e for e in entries}
        result: list[dict | None] = []
        for row in rows:
            entry = by_key.get(_row_key(row)) or _in_effect(entries, row)
            result.append(None if entry is None else _image(entry))
        return result

    def changes(self, row: dict[str, Any], before: dict | None) -> dict[str, tuple[Any, Any]]:
        if before is not None and _row_key(row) != _row_key(before):
            # A new entry: show the price in effect now as what it replaces.
            return {"unit_price": (before["unit_price"], row["unit_price"])} | {
                name: (None, row[name])
                for name in ("effective_from", "effective_to")
                if row.get(name) is not None
            }
        return super().changes(row, before)

    def cross_check(self, table: Table, ctx: CheckContext) -> list[RowProblem]:
        cols, good = table.columns, table.good_indexes()
        skus = sorted({cols["item"][i] for i in good})
        known = _known_items(ctx.session, skus)
        problems = [
            RowProblem(i, "item", "unknown_item", f"Item {cols['item'][i]} was not found.")
            for i in good
            if cols["item"][i] not in known
        ]
        rows = {i: table.row(i) for i in good}
        stored = [_image(e) for e in self._entries(ctx.session, skus)]
        replaced = {_row_key(row) for row in rows.values()}
        ranges: dict[tuple, list[tuple[date, date, int | None]]] = {}
        for image in stored:
            if _row_key(image) not in replaced:
                ranges.setdefault(_range_key(image), []).append((*_span(image), None))
        for i, row in rows.items():
            ranges.setdefault(_range_key(row), []).append((*_span(row), i))
        for spans in ranges.values():
            problems += _overlaps(spans, cols)
        return problems

    def export_rows(self, session: Session, filters: dict[str, str | None]) -> list[dict]:
        query = select(PriceListEntry).order_by(
            PriceListEntry.sku,
            PriceListEntry.price_level,
            PriceListEntry.currency,
            PriceListEntry.min_quantity,
            PriceListEntry.effective_from,
        )
        if filters.get("item"):
            query = query.where(PriceListEntry.sku == filters["item"])
        if filters.get("customer"):
            query = query.where(PriceListEntry.price_level == filters["customer"])
        return [_image(entry) for entry in session.scalars(query)]

    def work_item(self, row: dict[str, Any], changes: dict[str, Any]) -> dict[str, Any]:
        key = {name: row.get(name) for name in self.key_fields}
        key["min_quantity"] = key["min_quantity"] or Decimal(0)
        return {"key": key, "set": changes}

    def inverse(self, payload: dict[str, Any], before: dict | None) -> dict[str, Any] | None:
        """A new entry (before is the price it replaced, under another key) is deleted."""
        if payload.get("delete"):
            return super().inverse(payload, before)
        same = before is not None and all(
            jsonable(before.get(name)) == value for name, value in payload["key"].items()
        )
        if not same:
            return {"key": payload["key"], "delete": True}
        return super().inverse(payload, before)

    def needs_approval(self, preview: Any, settings: Any) -> str | None:
        limit = Decimal(str(settings.uploads.price_change_approval_percent))
        worst: tuple[Decimal, str] | None = None
        count = 0
        for change in preview.changes:
            old, new = change.fields.get("unit_price", (None, None))
            if not old or new is None:
                continue
            percent = abs(Decimal(str(new)) - Decimal(str(old))) * 100 / Decimal(str(old))
            if percent > limit:
                count += 1
                if worst is None or percent > worst[0]:
                    worst = (percent, change.business_key)
        if worst is None:
            return None
        return (
            f"{count} price change(s) exceed {limit}% (largest {worst[0]:.1f}% on {worst[1]}); "
            "a second steward must approve"
        )

    # --- posting ----------------------------------------------------------------------

    def typed_key(self, payload: dict[str, Any]) -> dict[str, Any]:
        key = dict(payload["key"])
        key["min_quantity"] = Decimal(str(key.get("min_quantity") or "0"))
        key["effective_from"] = day(key.get("effective_from"))
        return key

    def change(self, session: Session, payload: dict[str, Any], erp: str, today: date) -> Change:
        return _price_change(session, payload, erp, today)

    def scheduled_on(self, payload: dict[str, Any], today: date) -> date | None:
        if payload.get("delete"):
            return None
        starts = day((payload.get("key") or {}).get("effective_from"))
        return starts if starts is not None and starts > today else None

    def same_record(self, ours: Any, theirs: Any) -> bool:
        return theirs is not None and theirs.unit_price.amount == ours.unit_price.amount


def _row_key(row: dict[str, Any]) -> tuple:
    quantity = row.get("min_quantity") or Decimal(0)
    return (row["item"], row["price_level"], row["currency"], quantity, row.get("effective_from"))


def _range_key(row: dict[str, Any]) -> tuple:
    return _row_key(row)[:4]


def _entry_key(entry: PriceListEntry) -> tuple:
    return _row_key(_image(entry))


def _image(entry: PriceListEntry) -> dict[str, Any]:
    return {
        "item": entry.sku,
        "price_level": entry.price_level,
        "currency": entry.currency,
        "unit_price": entry.unit_price,
        "min_quantity": entry.min_quantity,
        "effective_from": entry.effective_from,
        "effective_to": entry.effective_to,
    }


def _span(row: dict[str, Any]) -> tuple[date, date]:
    return row.get("effective_from") or date.min, row.get("effective_to") or FAR_FUTURE


def _in_effect(entries: list[PriceListEntry], row: dict[str, Any]) -> PriceListEntry | None:
    when = row.get("effective_from") or date.min
    same = [e for e in entries if _range_key(_image(e)) == _range_key(row)]
    before = [e for e in same if (e.effective_from or date.min) <= when]
    return max(before, key=lambda e: e.effective_from or date.min, default=None)


def _overlaps(spans: list[tuple[date, date, int | None]], cols: dict) -> list[RowProblem]:
    problems = []
    spans.sort(key=lambda s: (s[0], s[1]))
    for (start_a, end_a, row_a), (start_b, _end_b, row_b) in zip(spans, spans[1:], strict=False):
        if start_b <= end_a and (row_b is not None or row_a is not None):
            index = row_b if row_b is not None else row_a
            assert index is not None
            message = (
                f"Overlaps the range from {_day(start_a)} to {_day(end_a)} for the same item, "
                "price level, currency and min quantity."
            )
            problems.append(RowProblem(index, "effective_from", "overlapping_range", message))
    return problems


def _day(value: date) -> str:
    return "the start" if value == date.min else "open end" if value == FAR_FUTURE else str(value)


def _known_items(session: Session, skus: list[str]) -> set[str]:
    known: set[str] = set()
    for part in _chunked(skus):
        known.update(session.scalars(select(Item.sku).where(Item.sku.in_(part))))
    return known


def _price_change(session: Session, payload: dict, erp: str, today: date) -> Change:
    """NetSuite keeps one price list per item, currency and price level: the whole list of
    the (currency, level) is sent with the row's entry changed, as in effect today."""
    key = KIND.typed_key(payload)
    sku, level, currency = key["item"], key["price_level"], key["currency"]
    entries = session.scalars(
        select(PriceListEntry).where(
            PriceListEntry.sku == sku,
            PriceListEntry.price_level == level,
            PriceListEntry.currency == currency,
        )
    ).all()
    spot = (key["min_quantity"], key["effective_from"])
    target = next((e for e in entries if (e.min_quantity, e.effective_from) == spot), None)
    images = {(e.min_quantity, e.effective_from): _price_values(e) for e in entries}
    if payload.get("delete"):
        images.pop(spot, None)
    else:
        images[spot] = {**images.get(spot, {}), **_price_set(payload["set"])}
    # The whole list of the (currency, level) is sent: NetSuite replaces it as one.
    records = [
        rec.PriceListEntry(
            source_system="orderbridge",
            source_key=f"{sku}/{level}/{currency}/{quantity}",
            external_id=f"{sku}/{level}/{currency}/{quantity}",
            sku=sku,
            price_level=level,
            unit_price=rec.Money(values["unit_price"], currency),
            min_quantity=quantity,
        )
        for quantity, values in _in_effect_now(images, today)
    ]

    def apply(store: Session) -> None:
        found = store.get(PriceListEntry, target.id) if target is not None else None
        if payload.get("delete"):
            if found is not None:
                store.delete(found)
            return
        if found is None:
            found = PriceListEntry(
                sku=sku, price_level=level, currency=currency, min_quantity=spot[0],
                effective_from=spot[1], source_system=erp, source_key=f"{sku}/{level}/{currency}",
            )  # fmt: skip
            store.add(found)
        for name, value in _price_set(payload["set"]).items():
            setattr(found, name, value)
        found.modified_at = datetime.now(timezone.utc)

    current = KIND.current(session, [key])[0]
    return Change("price", records, current, apply)


def _price_values(entry: PriceListEntry) -> dict[str, Any]:
    return {
        "unit_price": entry.unit_price,
        "effective_from": entry.effective_from,
        "effective_to": entry.effective_to,
    }


def _price_set(values: dict[str, Any]) -> dict[str, Any]:
    converters = {"unit_price": money, "effective_to": day, "effective_from": day}
    return {name: converters[name](value) for name, value in values.items() if name in converters}


def _in_effect_now(images: dict, today: date) -> list[tuple[Decimal, dict]]:
    """Per quantity break, the entry in effect today (NetSuite's price list has no dates)."""
    chosen: dict[Decimal, tuple[date, dict]] = {}
    for (quantity, start), values in images.items():
        begins = start or date.min
        ends = values.get("effective_to") or date.max
        if begins <= today <= ends and (quantity not in chosen or chosen[quantity][0] < begins):
            chosen[quantity] = (begins, values)
    return [(quantity, chosen[quantity][1]) for quantity in sorted(chosen)]


KIND = PriceList()
