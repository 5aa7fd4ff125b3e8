"""Resident barcode IDs: 11 zero-padded digits plus a Damm check digit (12 characters).

The Damm check digit catches every single-digit error and every adjacent transposition, which
matters for IDs read out over the phone or typed by hand (Luhn misses 09<->90).
"""

from __future__ import annotations

SERIAL_DIGITS = 11
MAX_SERIAL = 10**SERIAL_DIGITS - 1

# The totally anti-symmetric quasigroup of order 10 from Damm (2004).
_DAMM = (
    (0, 3, 1, 7, 5, 9, 8, 6, 4, 2),
    (7, 0, 9, 2, 1, 5, 4, 8, 6, 3),
    (4, 2, 0, 6, 8, 7, 1, 3, 5, 9),
    (1, 7, 5, 0, 9, 8, 3, 4, 2, 6),
    (6, 1, 2, 3, 0, 4, 5, 9, 7, 8),
    (3, 6, 7, 4, 2, 0, 9, 5, 8, 1),
    (5, 8, 6, 9, 7, 2, 0, 1, 3, 4),
    (8, 9, 4, 5, 3, 6, 2, 0, 1, 7),
    (9, 4, 3, 8, 6, 1, 7, 2, 0, 5),
    (2, 5, 8, 1, 4, 3, 6, 7, 9, 0),
)


def _interim(digits: str) -> int:
    state = 0
    for ch in digits:
        state = _DAMM[state][ord(ch) - 48]
    return state


def damm_digit(digits: str) -> str:
    """The Damm check digit of ``digits`` (ASCII digits only; ValueError otherwise)."""
    if digits.strip("0123456789"):
        raise ValueError("Damm check digit needs ASCII digits")
    return str(_interim(digits))


def make_barcode(serial: int) -> str:
    """``serial`` zero-padded to 11 digits plus its Damm digit: 12 characters."""
    if not 0 <= serial <= MAX_SERIAL:
        raise ValueError(f"serial out of range 0..{MAX_SERIAL}")
    body = str(serial).zfill(SERIAL_DIGITS)
    return body + str(_interim(body))


def is_valid_barcode(code: str) -> bool:
    """True for a 12-digit code whose last digit is the Damm digit of the rest."""
    code = code.strip()
    return (
        len(code) == SERIAL_DIGITS + 1 and code.isascii() and code.isdigit() and _interim(code) == 0
    )
