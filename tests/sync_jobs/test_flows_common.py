"""The ship method table: the ERP's ship items to the 3PL's carrier and service."""

from __future__ import annotations

import pytest

from sync_jobs.flows_common import carrier_service


@pytest.mark.parametrize(
    ("ship_method", "expected"),
    [
        ("UPS 03", ("ups", "03")),
        ("FEDEX FEDEX_2_DAY", ("fedex", "FEDEX_2_DAY")),
        ("DHL EXPRESS_12:00", ("dhl", "EXPRESS_12:00")),
        ("  FedEx   2Day ", ("fedex", "FEDEX_2_DAY")),
        ("UPS Ground", ("ups", "03")),
        ("", ("", "")),  # none: the 3PL's default, UPS Ground
        ("Pigeon Post", None),  # names no carrier we ship with: rejected, never guessed
        ("USPS Priority", None),
    ],
)
def test_ship_methods_name_the_3pl_carrier_and_service(ship_method, expected) -> None:
    assert carrier_service(ship_method) == expected
