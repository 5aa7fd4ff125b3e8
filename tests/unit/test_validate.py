"""Request parsing is strict: integers are JSON integers or ASCII digits in range, text holds no
NUL and no lone surrogate, dates stay within the years the ledger can mean, JSON nests shallowly;
each refusal names its field."""

from __future__ import annotations

import pytest

from cti_server import protocol
from cti_server.web.errors import BadRequest
from cti_server.web.validate import MAX_DEPTH, int_text, loads, read_as


@pytest.mark.parametrize("text", ["1_0", "\u0661", "\uff11", " 5", "+5", "-1", "2147483648", ""])
def test_ids_in_paths_and_queries_are_ascii_digits_in_range(text):
    with pytest.raises(BadRequest) as info:
        int_text(text, "booking_id", 1)
    assert info.value.field == "booking_id"


def test_ids_in_paths_are_read_as_written():
    assert int_text("10", "booking_id", 1) == 10


@pytest.mark.parametrize("value", ["5", 5.0, True, 2**31, 2**63, -(2**63) - 1, [5]])
def test_integers_in_bodies_are_json_integers_in_range(value):
    with pytest.raises(BadRequest) as info:
        read_as(protocol.BookingRequest, {"resident_id": value, "slot_id": 1})
    assert info.value.field == "resident_id"


@pytest.mark.parametrize(
    ("field", "value"),
    [("username", "a\x00b"), ("username", "\ud800"), ("password", "abc\udfffdefgh"),
     ("password", "abcdefgh\x00")],
)  # fmt: skip
def test_text_without_nul_or_lone_surrogates(field, value):
    body = {"username": "operator1", "password": "correct horse", field: value}
    with pytest.raises(BadRequest) as info:
        read_as(protocol.LoginRequest, body)
    assert info.value.field == field


@pytest.mark.parametrize("day", ["0001-01-01", "9999-12-31"])
def test_days_outside_the_ledgers_years_are_refused(day):
    with pytest.raises(BadRequest) as info:
        read_as(protocol.SlotsLayout, {"day": day, "start": "09:00", "end": "10:00",
                                       "minutes": 30, "capacity": 5})  # fmt: skip
    assert info.value.field == "day"


@pytest.mark.parametrize(
    "raw", ["[" * 100_000 + "]" * 100_000, '{"a":' * (MAX_DEPTH + 1) + "1" + "}" * (MAX_DEPTH + 1)]
)
def test_deep_json_is_a_bad_request(raw):
    with pytest.raises(BadRequest) as info:
        loads(raw, "body")
    assert info.value.field == "body"
    assert "nested" in info.value.message


@pytest.mark.parametrize("moment", ["0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-14:00"])
def test_times_at_the_ends_of_the_calendar_are_refused(moment):
    with pytest.raises(BadRequest) as info:
        read_as(protocol.SlotRequest, {"starts_at": moment, "ends_at": moment, "capacity": 1})
    assert info.value.field == "starts_at"


def test_nan_is_not_json():
    with pytest.raises(BadRequest):
        loads('{"capacity": NaN}', "body")
