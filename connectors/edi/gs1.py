"""GS1 identifiers an ASN carries: the SSCC-18 of each carton (extension digit, company
prefix, serial reference, check digit) and the check digit of GTINs and UPCs."""

from __future__ import annotations

SSCC_LENGTH = 18


def check_digit(digits: str) -> str:
    """The GS1 mod-10 check digit of `digits` (the number without its check digit): from the
    right, weights 3, 1, 3, 1, ..."""
    if not digits.isdigit():
        raise ValueError(f"a GS1 number has only digits, not {digits!r}")
    total = sum(int(d) * (3 if n % 2 == 0 else 1) for n, d in enumerate(reversed(digits)))
    return str((10 - total % 10) % 10)


def is_valid(number: str) -> bool:
    """Whether a GTIN-8/12/13/14 or an SSCC-18 ends in its right check digit."""
    return (
        number.isdigit()
        and len(number) in (8, 12, 13, 14, SSCC_LENGTH)
        and check_digit(number[:-1]) == number[-1]
    )


def sscc(company_prefix: str, serial: int, extension: int = 0) -> str:
    """The SSCC-18 for a carton: extension digit, the company prefix (7 to 10 digits), the
    serial reference filling the rest, the check digit."""
    if not company_prefix.isdigit() or not 7 <= len(company_prefix) <= 10:
        raise ValueError(f"a GS1 company prefix has 7 to 10 digits, not {company_prefix!r}")
    if not 0 <= extension <= 9:
        raise ValueError(f"the SSCC extension digit is 0 to 9, not {extension}")
    room = SSCC_LENGTH - 2 - len(company_prefix)
    if not 0 <= serial < 10**room:
        raise ValueError(f"serial {serial} does not fit the {room} digits this prefix leaves")
    body = f"{extension}{company_prefix}{serial:0{room}d}"
    return body + check_digit(body)
