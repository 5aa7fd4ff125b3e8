"""registry.normalize.barcode: Damm check digits catch every single-digit error and swap."""

from __future__ import annotations

import random

import pytest
from hypothesis import given
from hypothesis import strategies as st

from registry.normalize.barcode import MAX_SERIAL, damm_digit, is_valid_barcode, make_barcode


def test_known_damm_values() -> None:
    assert damm_digit("572") == "4"  # the worked example of the Damm algorithm
    assert damm_digit("") == "0"
    assert make_barcode(572) == "000000005724"
    assert is_valid_barcode("000000005724")


def test_bad_input() -> None:
    with pytest.raises(ValueError, match="ASCII digits"):
        damm_digit("12a")
    with pytest.raises(ValueError, match="ASCII digits"):
        damm_digit("１２")
    with pytest.raises(ValueError, match="range"):
        make_barcode(-1)
    with pytest.raises(ValueError, match="range"):
        make_barcode(MAX_SERIAL + 1)
    for bad in ("", "12345678901", "1234567890123", "00000000572x", "０００００００００５７２４"):
        assert not is_valid_barcode(bad)


def _sample() -> list[str]:
    rng = random.Random(20240601)
    return [make_barcode(rng.randrange(MAX_SERIAL + 1)) for _ in range(300)] + [
        make_barcode(0),
        make_barcode(MAX_SERIAL),
    ]


def test_every_single_digit_error_is_caught() -> None:
    for code in _sample():
        for i, ch in enumerate(code):
            for d in "0123456789":
                if d != ch:
                    assert not is_valid_barcode(code[:i] + d + code[i + 1 :]), (code, i, d)


def test_every_adjacent_transposition_is_caught() -> None:
    for code in _sample():
        for i in range(len(code) - 1):
            a, b = code[i], code[i + 1]
            if a != b:
                assert not is_valid_barcode(code[:i] + b + a + code[i + 2 :]), (code, i)


def test_every_adjacent_pair_exhaustively() -> None:
    """The property holds for all 90 ordered pairs of distinct digits, at every position."""
    for pos in range(11):
        for a in "0123456789":
            for b in "0123456789":
                if a != b:
                    body = "0" * pos + a + b
                    swapped = "0" * pos + b + a
                    assert damm_digit(body) != damm_digit(swapped)


@given(st.integers(min_value=0, max_value=MAX_SERIAL))
def test_made_codes_are_valid_and_keep_the_serial(serial: int) -> None:
    code = make_barcode(serial)
    assert len(code) == 12
    assert is_valid_barcode(code)
    assert int(code[:11]) == serial
