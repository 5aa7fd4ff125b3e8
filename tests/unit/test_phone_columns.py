"""The phone index's columns give back exactly what they were given, whatever the strings."""

from __future__ import annotations

import datetime as dt
import pickle
from array import array

import pytest

from registry.find.phone_columns import (
    Addresses,
    DigitColumn,
    Households,
    Phones,
    Residents,
    SplitColumn,
    cut_at_space,
    narrow,
)
from registry.find.phone_index import PhoneIndex

ODD = ["", "0", "00", "007", "1234567890", "000000000001", "12345678901234567",
       "123456789012345678", "-1", "A-0001", "１２３", "12 34", " 1", "x" * 40]  # fmt: skip


def test_narrow_takes_the_smallest_type_that_holds_the_values():
    assert narrow(array("q", [0, 255])).typecode == "B"
    assert narrow(array("q", [-1, 100])).typecode == "b"
    assert narrow(array("q", [0, 65535])).typecode == "H"
    assert narrow(array("q", [-1, 40000])).typecode == "i"
    assert narrow(array("q", [-1, 2**40])).typecode == "q"
    assert narrow(array("q")) == array("B")
    assert list(narrow(array("q", [5, -3, 2**31]))) == [5, -3, 2**31]


@pytest.mark.parametrize("values", [ODD, ["0000000001", "0000000002"], ["123456789012"], []])
def test_digit_column_round_trips(values):
    column = DigitColumn()
    for v in values:
        column.add(v)
    column.freeze()
    assert [column.get(i) for i in range(len(values))] == values
    assert len(column) == len(values)


def test_split_column_round_trips_names_with_any_spacing():
    names = ["山田 太郎", "山田\u3000花子", "山田太郎", " 太郎", "山田 ", "a b c", "", "ﾔﾏﾀﾞ ﾀﾛｳ"]
    column = SplitColumn(cut_at_space)
    for n in names:
        column.add(n)
    column.freeze()
    assert [column.get(i) for i in range(len(names))] == names
    assert len(column.heads) < len(names)  # 山田 once


def test_addresses_are_kept_once_for_residents_and_households():
    addresses = Addresses()
    given = ["舞鶴市浜1番地", "舞鶴市浜1番地", "舞鶴市浜２", "番地なし", ""]
    rows = [addresses.add(a) for a in given]
    addresses.freeze()
    assert rows[0] == rows[1]
    assert [addresses.get(r) for r in rows] == given


def test_residents_households_and_phones_survive_freezing_and_pickling():
    addresses = Addresses()
    res, hhs, phones = Residents(addresses), Households(addresses), Phones()
    rows = [
        (3, "山田 太郎", "ヤマダ タロウ", "1940-02-29", "M", "舞鶴市浜1", "active", 7, "0000000003",
         "000000000031"),
        (9, "独身", "", None, None, "", "moved", None, "P-9", "9"),
        (2**33, "x", "y", dt.date(2020, 1, 1), "F", "舞鶴市浜1", "deceased", 2**32, "", ""),
    ]  # fmt: skip
    for row in rows:
        res.append(row)
    hhs.append(7, "000000007", "舞鶴市浜1")
    hhs.append(2**32, None, None)
    phones.append(81773000002, "landline", None, 7)
    phones.append(81773000001, "mobile", 3, None)
    phones.append(81773000002, "", 3, 7)  # a resident's phone also given to the household
    phones.append(81773000003, "mobile", None, None)  # nobody
    for table in (res, hhs, addresses, phones):
        table.freeze()
    res, hhs, phones = pickle.loads(pickle.dumps((res, hhs, phones)))
    expected = [(*r[:3], dt.date(1940, 2, 29) if r[0] == 3 else r[3], r[4] or "", *r[5:])
                for r in rows]  # fmt: skip
    assert [res.get(res.row_of(r[0])) for r in rows] == expected  # type: ignore[arg-type]
    assert res.row_of(4) is None
    assert [res.get(i)[0] for i in range(3)] == [9, 3, 2**33]  # by household, then id
    assert [res.get(i)[0] for i in res.members(7)] == [3]
    assert list(res.members(8)) == []
    assert hhs.get(7) == ("000000007", "舞鶴市浜1")
    assert hhs.get(2**32) == ("", "")
    assert hhs.get(8) is None
    assert list(phones.of(81773000002)) == [
        (81773000002, "landline", None, 7),
        (81773000002, "", 3, 7),
    ]
    assert list(phones.of(81773000001)) == [(81773000001, "mobile", 3, None)]
    assert list(phones.of(81773000003)) == []


def test_a_phone_index_of_another_layout_is_refused():
    """A snapshot written by another layout of the columns is rebuilt, never misread."""
    index = pickle.loads(pickle.dumps(PhoneIndex()))
    assert index.lookup("+81773000001") == []
    state = PhoneIndex().__getstate__()
    del state["layout"]
    with pytest.raises(ValueError, match="layout"):
        PhoneIndex.__new__(PhoneIndex).__setstate__(state)


def test_phones_split_their_numbers_exactly():
    """Numbers whose low 32 bits agree, runs of the same number, numbers between runs."""
    phones = Phones()
    keys = [81773000001, 81773000001 + 2**32, 819012345678, 81773000001, 1, 2**32, 2**62]
    for rid, key in enumerate(keys, start=1):
        phones.append(key, "mobile", rid, None)
    phones.freeze()
    assert len(phones) == len(keys)
    for key in set(keys):
        owners = [p[2] for p in phones.of(key)]
        assert owners == [rid for rid, k in enumerate(keys, start=1) if k == key]
    for missing in (0, 2, 81773000000, 81773000002, 2**32 + 1, 2**62 - 1, 2**63 - 1):
        assert list(phones.of(missing)) == []
