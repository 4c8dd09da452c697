"""The world's vocabulary: carriers, currencies, price levels, places, names and services."""

from __future__ import annotations

from decimal import Decimal

CARRIERS = ("ups", "fedex", "dhl")
CURRENCIES = ("USD", "EUR", "GBP", "CAD")
PRICE_LEVELS = {
    "Base Price": Decimal("1.00"),
    "Wholesale": Decimal("0.85"),
    "Distributor": Decimal("0.75"),
}
QUANTITY_BREAKS = {1: Decimal("1.00"), 10: Decimal("0.95"), 50: Decimal("0.90")}
FX_FROM_USD = {
    "USD": Decimal("1"),
    "EUR": Decimal("0.92"),
    "GBP": Decimal("0.79"),
    "CAD": Decimal("1.36"),
}
STORIES = (
    "on_time",
    "late",
    "stalled",
    "damaged",
    "returned_to_sender",
    "delivered_signed",
    "delivered_no_pod",
)
CURRENCY_BY_COUNTRY = {
    "US": "USD",
    "CA": "CAD",
    "GB": "GBP",
    "DE": "EUR",
    "FR": "EUR",
    "NL": "EUR",
    "AU": "USD",
    "MX": "USD",
}
TAX_RATE = {
    "US": "0",
    "CA": "0.13",
    "GB": "0.20",
    "DE": "0.19",
    "FR": "0.20",
    "NL": "0.21",
    "AU": "0.10",
    "MX": "0.16",
}


def _words(text: str) -> tuple[str, ...]:
    return tuple(word.strip() for word in text.split(","))


# Real places with their real postal codes, so every address passes its country's format.
PLACES = {
    "US": [
        ("Boston", "MA", "02110"),
        ("Newark", "NJ", "07102"),
        ("Chicago", "IL", "60607"),
        ("Austin", "TX", "78701"),
        ("Seattle", "WA", "98104"),
        ("Portsmouth", "NH", "03801"),
        ("Columbus", "OH", "43215"),
    ],
    "CA": [
        ("Toronto", "ON", "M5V 2T6"),
        ("Montreal", "QC", "H3B 4W8"),
        ("Vancouver", "BC", "V6B 1A1"),
        ("Calgary", "AB", "T2P 2M5"),
    ],
    "GB": [
        ("London", "", "SW1A 1AA"),
        ("Manchester", "", "M1 1AE"),
        ("Birmingham", "", "B33 8TH"),
        ("Leeds", "", "LS1 4AP"),
    ],
    "DE": [
        ("Berlin", "BE", "10115"),
        ("Dresden", "SN", "01067"),
        ("Munich", "BY", "80331"),
        ("Hamburg", "HH", "20095"),
    ],
    "FR": [
        ("Paris", "", "75008"),
        ("Lyon", "", "69002"),
        ("Bourg-en-Bresse", "", "01000"),
        ("Marseille", "", "13001"),
    ],
    "NL": [
        ("Amsterdam", "NH", "1012 AB"),
        ("Rotterdam", "ZH", "3011 AD"),
        ("Utrecht", "UT", "3511 LX"),
    ],
    "AU": [
        ("Sydney", "NSW", "2000"),
        ("Melbourne", "VIC", "3000"),
        ("Darwin", "NT", "0800"),
        ("Brisbane", "QLD", "4000"),
    ],
    "MX": [
        ("Ciudad de México", "CMX", "06600"),
        ("Monterrey", "NLE", "64000"),
        ("Guadalajara", "JAL", "44100"),
    ],
}
STREETS = _words(
    "Main St, Harbor Rd, Industrial Way, King St, Station Rd, Mill Lane, Commerce Dr, Park Ave,"
    " Rue de la Gare, Hauptstrasse, Keizersgracht"
)
NAME_FIRST = _words(
    "Northwind, Blue Harbor, Summit, Redwood, Granite, Cedar, Atlas, Beacon, Silverline, Maple,"
    " Orion, Keystone, Harbor, Pioneer, Lakeside, Ironbridge, Crescent, Evergreen, Highland,"
    " Riverside"
)
NAME_LAST = _words(
    "Traders, Supply Co, Distribution, Wholesale, Retail Group, Outfitters, Hardware, Foods,"
    " Industries, Partners"
)
PRODUCTS = _words(
    "Bolt, Bracket, Hinge, Valve, Gasket, Filter, Cable, Switch, Pump, Sensor, Panel, Clamp,"
    " Fitting, Bearing, Spring"
)
ADJECTIVES = _words(
    "Steel, Brass, Heavy-duty, Compact, Stainless, Insulated, Coated, Precision, Industrial, Mini"
)
SIGNERS = _words("J. SMITH, M. GARCIA, A. MUELLER, L. MARTIN, K. NGUYEN, R. PATEL")
WAREHOUSES_SPEC = (
    ("WH-NJ", "Newark DC", "Newark", "US"),
    ("WH-NV", "Reno DC", "Reno", "US"),
    ("WH-NL", "Venlo DC", "Venlo", "NL"),
)
SERVICES = {
    "ups": (("03", 5), ("02", 2), ("01", 1)),
    "fedex": (("FEDEX_GROUND", 5), ("FEDEX_2_DAY", 2), ("PRIORITY_OVERNIGHT", 1)),
    "dhl": (("EXPRESS_WORLDWIDE", 3), ("EXPRESS_12:00", 2)),
}
CENT = Decimal("0.01")
