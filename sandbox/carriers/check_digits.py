"""Tracking numbers in each carrier's real format, check digits included."""

from __future__ import annotations

import random


def ups_check_digit(body: str) -> str:
    """UPS 1Z check digit over the 15 characters after "1Z" (letters count (ord - 63) % 10)."""
    values = [int(c) if c.isdigit() else (ord(c) - 63) % 10 for c in body]
    total = sum(v * (2 if i % 2 else 1) for i, v in enumerate(values))
    return str((10 - total % 10) % 10)


def fedex_check_digit(first11: str) -> str:
    """FedEx Express 12-digit check: weights 1, 3, 7 from the right, mod 11, mod 10."""
    weights = (1, 3, 7)
    total = sum(int(d) * weights[i % 3] for i, d in enumerate(reversed(first11)))
    return str(total % 11 % 10)


def dhl_check_digit(first9: str) -> str:
    """DHL Express 10-digit waybill: the first nine digits mod 7."""
    return str(int(first9) % 7)


def tracking_number(rng: random.Random, carrier: str, service: str, shipper: str) -> str:
    if carrier == "ups":
        body = shipper + service + f"{rng.randrange(10**7):07d}"
        return "1Z" + body + ups_check_digit(body)
    if carrier == "fedex":
        first = f"{rng.randrange(7 * 10**10, 8 * 10**10):011d}"
        return first + fedex_check_digit(first)
    first = f"{rng.randrange(10**8, 10**9):09d}"
    return first + dhl_check_digit(first)
