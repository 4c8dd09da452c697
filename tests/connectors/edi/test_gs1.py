"""GS1 check digits and SSCC-18s, against numbers published with their check digits."""

from __future__ import annotations

import pytest

from connectors.edi import gs1


@pytest.mark.parametrize(
    "number",
    [
        "036000291452",  # UPC-A of GS1 US's own example
        "4006381333931",  # EAN-13
        "00012345600012",  # GTIN-14
        "106141411234567897",  # SSCC-18 of GS1's General Specifications example
        "96385074",  # EAN-8
    ],
)
def test_published_numbers_carry_their_check_digit(number):
    assert gs1.is_valid(number)
    assert gs1.check_digit(number[:-1]) == number[-1]


def test_a_wrong_digit_or_length_is_not_valid():
    assert not gs1.is_valid("036000291453")
    assert not gs1.is_valid("03600029145")
    assert not gs1.is_valid("03600029145X")


def test_an_sscc_fills_the_serial_between_the_prefix_and_the_check_digit():
    assert gs1.sscc("0614141", 123456789, extension=1) == "106141411234567897"
    label = gs1.sscc("0614141999", 42)
    assert len(label) == 18 and label.startswith("00614141999000042")
    assert gs1.is_valid(label)


@pytest.mark.parametrize(
    ("prefix", "serial", "says"),
    [("12345", 1, "7 to 10 digits"), ("0614141", 10**9, "does not fit"), ("06141A1", 1, "7 to")],
)
def test_an_sscc_that_cannot_be_made_says_why(prefix, serial, says):
    with pytest.raises(ValueError, match=says):
        gs1.sscc(prefix, serial)
