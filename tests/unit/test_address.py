"""registry.normalize.address: one key for the ways a Japanese address is written, graded match."""

from __future__ import annotations

import pytest

from registry.normalize.address import address_key, address_levels, address_score


@pytest.mark.parametrize(
    "written",
    ["浜1丁目2番3号", "浜一丁目二番三号", "浜１－２－３", "浜1-2-3", "浜 1‐2−3", "浜1ー2ー3",
     "字浜1丁目2番地の3", "浜1の2の3"],
)  # fmt: skip
def test_number_forms_give_one_key(written):
    assert address_key(written) == "浜1-2-3"


@pytest.mark.parametrize(
    ("written", "key"),
    [
        ("京都府舞鶴市浜123番地の5", "京都府舞鶴市浜123-5"),
        ("浜百二十三番地の五", "浜123-5"),
        ("七日市二千五百番地", "七日市2500"),  # the numeral of the town name stays
        ("字三浜一番地", "三浜1"),
        ("京都府舞鶴市字長浜7番地", "京都府舞鶴市長浜7"),
        ("京都府舞鶴市大字余部下２番", "京都府舞鶴市余部下2"),
        ("浜　百二十三", "浜123"),
    ],
)
def test_address_key(written, key):
    assert address_key(written) == key


def grade(ledger: str, typed: str) -> float:
    return address_score(address_key(ledger), address_levels(address_key(typed)))


def test_whole_fragment_then_town_with_its_first_numbers_then_town_alone():
    ledger = "京都府舞鶴市浜123番地の5"
    assert grade(ledger, "浜百二十三番地の五") == 100.0
    assert grade(ledger, "浜") == 100.0  # a town alone, fully
    assert grade(ledger, "浜123-6") == 75.0  # right banchi, wrong 枝番
    assert grade(ledger, "浜12") == 50.0  # a number matches whole: 12 is not 123
    assert grade(ledger, "浜1234") == 50.0
    assert grade(ledger, "溝尻123-5") == 0.0
    assert grade(ledger, "") == 0.0


def test_fragment_inside_a_longer_town_name_counts_less():
    assert grade("京都府舞鶴市字長浜1番地", "浜") == 80.0
    assert grade("京都府舞鶴市字長浜1番地", "長浜") == 100.0
    assert grade("京都府舞鶴市浜1番地", "浜") == 100.0
