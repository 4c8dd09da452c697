"""Ship-to addresses of customers: address, country, contact and the default flag."""

from __future__ import annotations

import re
from datetime import date, datetime, timezone
from typing import Any

from marshmallow import validate
from sqlalchemy import select
from sqlalchemy.orm import Session

from core import records as rec
from core.errors import RecordRejectedError
from core.store.models import Customer, Order, ShipTo
from templates_xlsx.fields import Choice, Code, Text, YesNo
from templates_xlsx.kind import (
    CLOSED_STATUSES,
    Change,
    CheckContext,
    RowProblem,
    RowRule,
    SheetKind,
    SheetSchema,
    Table,
)
from templates_xlsx.kind import chunked as _chunked

# ISO 3166-1 alpha-2, all 249 assigned codes.
COUNTRIES = tuple(
    "AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ "
    "BR BS BT BV BW BY BZ CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM "
    "DO DZ EC EE EG EH ER ES ET FI FJ FK FM FO FR GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS "
    "GT GU GW GY HK HM HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE JM JO JP KE KG KH KI KM KN "
    "KP KR KW KY KZ LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK ML MM MN MO MP MQ "
    "MR MS MT MU MV MW MX MY MZ NA NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM "
    "PN PR PS PT PW PY QA RE RO RS RU RW SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV "
    "SX SY SZ TC TD TF TG TH TJ TK TL TM TN TO TR TT TV TW TZ UA UG UM US UY UZ VA VC VE VG VI "
    "VN VU WF WS YE YT ZA ZM ZW".split()
)

POSTAL_CODES = {
    "US": (r"\d{5}(-\d{4})?", "5 digits, or ZIP+4 such as 02134-1234"),
    "CA": (r"[ABCEGHJ-NPRSTVXY]\d[ABCEGHJ-NPRSTV-Z] ?\d[ABCEGHJ-NPRSTV-Z]\d", "such as K1A 0B1"),
    "GB": (r"(GIR ?0AA|[A-Z]{1,2}\d[A-Z\d]? ?\d[A-Z]{2})", "such as SW1A 1AA"),
    "DE": (r"\d{5}", "5 digits"),
    "FR": (r"\d{5}", "5 digits"),
    "NL": (r"\d{4} ?[A-Z]{2}", "4 digits and 2 letters, such as 1012 AB"),
    "AU": (r"\d{4}", "4 digits"),
    "MX": (r"\d{5}", "5 digits"),
}
_POSTAL = {country: re.compile(pattern) for country, (pattern, _) in POSTAL_CODES.items()}

STATES = {
    "US": "AL AK AZ AR CA CO CT DE DC FL GA HI ID IL IN IA KS KY LA ME MD MA MI MN MS MO MT NE "
    "NV NH NJ NM NY NC ND OH OK OR PA RI SC SD TN TX UT VT VA WA WV WI WY AS GU MP PR VI UM "
    "AA AE AP",
    "CA": "AB BC MB NB NL NS NT NU ON PE QC SK YT",
    "AU": "ACT NSW NT QLD SA TAS VIC WA",
    "MX": "AGU BCN BCS CAM CHP CHH CMX COA COL DUR GUA GRO HID JAL MEX MIC MOR NAY NLE OAX PUE "
    "QUE ROO SLP SIN SON TAB TAM TLA VER YUC ZAC",
}
_STATES = {country: frozenset(codes.split()) for country, codes in STATES.items()}


def _postal_ok(row: dict[str, Any]) -> bool:
    pattern = _POSTAL.get(row["country"])
    code = row.get("postal_code")
    return pattern is None or (code is not None and pattern.fullmatch(code) is not None)


def _state_ok(row: dict[str, Any]) -> bool:
    states = _STATES.get(row["country"])
    return states is None or row.get("state") in states


class ShipToSchema(SheetSchema):
    customer = Code(
        "Customer", required=True, key=True, validate=validate.Length(max=80), example="C0001"
    )
    code = Code(
        "Address Code",
        required=True,
        key=True,
        validate=validate.Length(max=80),
        help="The customer's code for this address; a new code adds an address.",
        width=12,
    )
    name = Text("Name", required=True, validate=validate.Length(max=255), width=28)
    line1 = Text("Address Line 1", required=True, validate=validate.Length(max=255), width=28)
    line2 = Text("Address Line 2", validate=validate.Length(max=255), width=20)
    city = Text("City", required=True, validate=validate.Length(max=120))
    state = Code(
        "State/Province",
        validate=validate.Length(max=40),
        help="Required in US, CA, AU and MX as the postal abbreviation (NY, ON, NSW, CMX).",
        width=10,
    )
    postal_code = Code(
        "Postal Code",
        validate=validate.Length(max=20),
        help="Checked against the country's format in US, CA, GB, DE, FR, NL, AU and MX.",
        width=11,
    )
    country = Choice(
        "Country", required=True, choices=COUNTRIES, help="ISO 3166 two-letter code.", width=8
    )
    contact = Text("Contact", validate=validate.Length(max=120), width=20)
    is_default = YesNo("Default", help="Yes for the customer's one default address.", width=8)

    row_rules = (
        RowRule(
            "bad_postal_code",
            "postal_code",
            ("country",),
            _postal_ok,
            lambda r: f"Not a valid {r['country']} postal code: {POSTAL_CODES[r['country']][1]}.",
        ),
        RowRule(
            "bad_state",
            "state",
            ("country",),
            _state_ok,
            lambda r: (
                f"Not a {r['country']} state or province code "
                f"(one of {', '.join(sorted(_STATES[r['country']])[:6])}, ...)."
            ),
        ),
    )


class ShipTos(SheetKind):
    name = "ship_tos"
    version = 1
    title = "Ship-to addresses"
    purpose = "Add or change customers' ship-to addresses and choose each one's default."
    schema = ShipToSchema
    # Posting: address book lines of their customer (SAP keeps its master data itself).
    entity = "ship_to"
    erps = frozenset({"netsuite"})

    def change(self, session: Session, payload: dict[str, Any], erp: str, today: date) -> Change:
        return _ship_to_change(session, payload, erp, today)

    def same_record(self, ours: Any, theirs: Any) -> bool:
        return (
            theirs is not None
            and theirs.address.name == ours.address.name
            and theirs.address.city == ours.address.city
        )

    def _stored(self, session: Session, customers: list[str]) -> list[ShipTo]:
        found: list[ShipTo] = []
        for part in _chunked(sorted(set(customers))):
            found += session.scalars(select(ShipTo).where(ShipTo.customer_number.in_(part)))
        return found

    def current(self, session: Session, rows: list[dict[str, Any]]) -> list[dict | None]:
        stored = {
            (s.customer_number, s.code): s
            for s in self._stored(session, [r["customer"] for r in rows])
        }
        images = [stored.get((row["customer"], row["code"])) for row in rows]
        return [None if s is None else _image(s) for s in images]

    def cross_check(self, table: Table, ctx: CheckContext) -> list[RowProblem]:
        cols, good = table.columns, table.good_indexes()
        customers = sorted({cols["customer"][i] for i in good})
        known: set[str] = set()
        for part in _chunked(customers):
            query = select(Customer.number).where(Customer.number.in_(part))
            known.update(ctx.session.scalars(query))
        problems = [
            RowProblem(
                i, "customer", "unknown_customer", f"Customer {cols['customer'][i]} was not found."
            )
            for i in good
            if cols["customer"][i] not in known
        ]
        return problems + self._defaults(table, good, ctx.session)

    def _defaults(self, table: Table, good: list[int], session: Session) -> list[RowProblem]:
        cols = table.columns
        in_file = {(cols["customer"][i], cols["code"][i]): i for i in good}
        stored = self._stored(session, [customer for customer, _ in in_file])
        defaults: dict[str, list[int | None]] = {}
        for s in stored:
            if s.is_default and (s.customer_number, s.code) not in in_file:
                defaults.setdefault(s.customer_number, []).append(None)
        was_default = {(s.customer_number, s.code): s.is_default for s in stored}
        for key, i in in_file.items():
            flag = cols["is_default"][i]
            if flag or (flag is None and was_default.get(key)):
                defaults.setdefault(key[0], []).append(i)
        problems = []
        for customer, rows in defaults.items():
            if len(rows) > 1:
                message = f"Customer {customer} would have {len(rows)} default addresses; keep one."
                problems += [
                    RowProblem(i, "is_default", "two_defaults", message)
                    for i in rows
                    if i is not None
                ]
        return problems

    def export_rows(self, session: Session, filters: dict[str, str | None]) -> list[dict]:
        query = select(ShipTo).order_by(ShipTo.customer_number, ShipTo.code)
        if filters.get("customer"):
            query = query.where(ShipTo.customer_number == filters["customer"])
        return [_image(s) for s in session.scalars(query)]


def _image(s: ShipTo) -> dict[str, Any]:
    def text(value: str | None) -> str | None:
        return value or None

    return {
        "customer": s.customer_number,
        "code": s.code,
        "name": text(s.name),
        "line1": text(s.line1),
        "line2": text(s.line2),
        "city": text(s.city),
        "state": text(s.state),
        "postal_code": text(s.postal_code),
        "country": text(s.country),
        "contact": text(s.contact),
        "is_default": bool(s.is_default),
    }


SHIP_TO_COLUMNS = ("name", "line1", "line2", "city", "state", "postal_code", "country", "contact")


def _ship_to_change(session: Session, payload: dict, erp: str, today: date) -> Change:
    """An address book line of its customer, sent with the row's values over the store's."""
    key = payload["key"]
    current = KIND.current(session, [key])[0]
    if payload.get("delete"):
        return _ship_to_removal(session, key, current, erp)
    values = {**(current or {}), **payload["set"]}
    record = rec.ShipTo(
        source_system="orderbridge",
        source_key=f"{key['customer']}/{key['code']}",
        external_id=f"{key['customer']}/{key['code']}",
        customer_number=key["customer"],
        code=key["code"],
        address=rec.Address(
            name=values.get("name") or "",
            lines=tuple(v for v in (values.get("line1"), values.get("line2")) if v),
            city=values.get("city") or "",
            state=values.get("state") or "",
            postal_code=values.get("postal_code") or "",
            country=values.get("country") or "",
            contact=values.get("contact") or "",
        ),
        default=bool(values.get("is_default")),
    )

    def apply(store: Session) -> None:
        found = store.scalars(
            select(ShipTo).where(
                ShipTo.customer_number == key["customer"], ShipTo.code == key["code"]
            )
        ).first()
        if found is None:
            found = ShipTo(
                customer_number=key["customer"], code=key["code"], source_system=erp,
                source_key=f"{key['customer']}/{key['code']}",
            )  # fmt: skip
            store.add(found)
        for name in SHIP_TO_COLUMNS:
            setattr(found, name, values.get(name) or "")
        found.is_default = bool(values.get("is_default"))
        found.modified_at = datetime.now(timezone.utc)

    return Change("ship_to", [record], current, apply)


def _ship_to_removal(session: Session, key: dict, current: dict | None, erp: str) -> Change:
    """Undoing an address an upload added: NetSuite address book lines have no inactive flag,
    so the customer's book is written whole (replaceAll) without it."""
    customer, code = key["customer"], key["code"]
    using = session.scalars(
        select(Order.number)
        .where(
            Order.customer_number == customer,
            Order.ship_to_code == code,
            Order.status.not_in(CLOSED_STATUSES),
        )
        .order_by(Order.number)
    ).all()
    if using:
        raise RecordRejectedError(
            f"address {code} is the ship-to of open order(s) {', '.join(using[:5])}"
            + (f" and {len(using) - 5} more" if len(using) > 5 else "")
            + "; it was not removed",
            system=erp,
            key=f"{customer}/{code}",
            hint="move those orders to another ship-to with an order-changes upload first",
        )

    def apply(store: Session) -> None:
        found = store.scalars(
            select(ShipTo).where(ShipTo.customer_number == customer, ShipTo.code == code)
        ).first()
        if found is not None:
            store.delete(found)

    return Change("ship_to_book", [], current, apply, removes=(customer, code))


KIND = ShipTos()
