"""registry.normalize.phone: every caller-ID and ledger form of DOMAIN.md, and "never raises"."""

from __future__ import annotations

import phonenumbers
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from registry.normalize.phone import (
    CallerNumber,
    normalize_caller_id,
    normalize_ledger_phone,
    plain_japanese_number,
)

MAIZURU = "+81773621234"


@pytest.mark.parametrize(
    "raw",
    [
        "0773621234",
        "0773-62-1234",
        "(0773)62-1234",
        "0773 62 1234",
        "０７７３－６２－１２３４",
        "（０７７３）６２－１２３４",
        "０７７３ー６２ー１２３４",  # katakana long-vowel mark typed as a dash
        "+81773621234",
        "+81-773-62-1234",
        "81773621234",
        "+810773621234",
        "0081773621234",
        "01081773621234",
        "tel:+81-773-62-1234",
        "sip:0773621234@192.0.2.1",
    ],
)
def test_common_forms_of_one_landline(raw: str) -> None:
    n = normalize_caller_id(raw)
    assert n.status == "number"
    assert n.e164 == MAIZURU
    assert n.national == "0773-62-1234"
    assert n.kind == "landline"
    assert n.raw == raw


@pytest.mark.parametrize(
    ("raw", "flag"),
    [
        ("00773621234", "outside_line"),
        ("0-0773-62-1234", "outside_line"),
        ("1840773621234", "prefix_184"),
        ("186-0773-62-1234", "prefix_186"),
        ("00360773621234", "carrier_prefix"),
        ("0036-0773-62-1234", "carrier_prefix"),
        ("0773 62 1234 内線12", "extension_stripped"),
        ("0773-62-1234（内線１２）", "extension_stripped"),
        ("0773-62-1234 ext. 5", "extension_stripped"),
    ],
)
def test_prefixes_and_extensions_are_stripped_and_flagged(raw: str, flag: str) -> None:
    n = normalize_ledger_phone(raw)
    assert (n.status, n.e164) == ("number", MAIZURU)
    assert flag in n.flags


def test_outside_line_then_184_then_mobile() -> None:
    n = normalize_caller_id("0184-090-1234-5678")
    assert (n.e164, n.kind) == ("+819012345678", "mobile")
    assert n.flags == ("outside_line", "prefix_184")


@pytest.mark.parametrize(
    ("raw", "e164", "national", "kind"),
    [
        ("070-1234-5678", "+817012345678", "070-1234-5678", "mobile"),
        ("080-1234-5678", "+818012345678", "080-1234-5678", "mobile"),
        ("09012345678", "+819012345678", "090-1234-5678", "mobile"),
        ("0120-123-456", "+81120123456", "0120-123-456", "toll_free"),
        ("0800-123-4567", "+818001234567", "0800-123-4567", "toll_free"),
        ("0570-123-456", "+81570123456", "0570-123-456", "shared_cost"),
        ("050-1234-5678", "+815012345678", "050-1234-5678", "ip"),
        ("03-1234-5678", "+81312345678", "03-1234-5678", "landline"),
        ("075-123-4567", "+81751234567", "075-123-4567", "landline"),
        ("010-1-212-555-1234", "+12125551234", "+1 212-555-1234", "other"),
        ("+44 20 7123 4567", "+442071234567", "+44 20 7123 4567", "other"),
    ],
)
def test_kinds(raw: str, e164: str, national: str, kind: str) -> None:
    n = normalize_caller_id(raw)
    assert (n.status, n.e164, n.national, n.kind) == ("number", e164, national, kind)


@pytest.mark.parametrize("raw", ["62-1234", "621234", "７８－１２３４", "85-0000"])
def test_maizuru_local_numbers_take_the_default_area(raw: str) -> None:
    n = normalize_ledger_phone(raw)
    assert n.status == "number"
    assert n.e164 is not None
    assert n.e164.startswith("+81773")
    assert n.flags == ("defaulted_area",)
    assert "0773" in n.reason


@pytest.mark.parametrize("raw", ["22-1234", "35-1234", "54-0000"])
def test_fukuchiyama_local_numbers_are_flagged_for_review(raw: str) -> None:
    n = normalize_ledger_phone(raw)
    assert n.status == "number"
    assert set(n.flags) == {"defaulted_area", "review"}
    assert n.reason


@pytest.mark.parametrize("raw", ["92-1234", "12-3456", "1234", "12345", "1234567"])
def test_other_local_numbers_stay_unindexed(raw: str) -> None:
    n = normalize_ledger_phone(raw)
    assert (n.status, n.e164) == ("invalid", None)
    assert n.reason


def test_defaultable_prefixes_and_area_are_settings() -> None:
    n = normalize_ledger_phone("22-1234", default_area_code="0773", defaultable_prefixes="2")
    assert n.flags == ("defaulted_area",)
    other = normalize_ledger_phone("1234-5678", default_area_code="03", defaultable_prefixes="12")
    assert other.e164 == "+81312345678"


def test_missing_trunk_zero_is_added_and_flagged() -> None:
    """phonenumbers accepts 773621234 silently; we accept it too, but say so."""
    caller = normalize_caller_id("773621234")
    assert (caller.e164, caller.flags) == (MAIZURU, ("trunk_zero_added",))
    ledger = normalize_ledger_phone("773621234")
    assert ledger.e164 == MAIZURU
    assert set(ledger.flags) == {"trunk_zero_added", "review"}
    assert normalize_ledger_phone("9012345678").kind == "mobile"


@pytest.mark.parametrize(
    ("raw", "status"),
    [
        ("anonymous", "withheld"),
        ("Anonymous", "withheld"),
        ("sip:anonymous@anonymous.invalid", "withheld"),
        ("P", "withheld"),
        ("非通知", "withheld"),
        ("restricted", "withheld"),
        ("C", "payphone"),
        ("公衆電話", "payphone"),
        ("O", "unavailable"),
        ("S", "unavailable"),
        ("表示圏外", "unavailable"),
        ("", "unavailable"),
        ("  ", "unavailable"),
        ("unknown", "unavailable"),
        ("unavailable", "unavailable"),
        ("<unknown>", "unavailable"),
        ("Ｐ", "withheld"),
    ],
)
def test_no_number_values_are_classified(raw: str, status: str) -> None:
    n = normalize_caller_id(raw)
    assert (n.status, n.e164, n.national, n.kind) == (status, None, "", "")
    assert n.reason


def test_none_is_unavailable() -> None:
    assert normalize_caller_id(None).status == "unavailable"


@pytest.mark.parametrize("raw", ["abc", "hello", "電話番号", "x-y"])
def test_letters_where_a_number_should_be_are_invalid(raw: str) -> None:
    n = normalize_caller_id(raw)
    assert (n.status, n.e164, n.national) == ("invalid", None, "")
    assert "review" in n.flags


@pytest.mark.parametrize(
    "raw", ["110", "#9110", "0", "0000000000", "0773-62-123", "99999999999999"]
)
def test_invalid_numbers(raw: str) -> None:
    n = normalize_caller_id(raw)
    assert (n.status, n.e164) == ("invalid", None)
    assert n.reason


def test_text_around_a_ledger_number_is_ignored_but_flagged() -> None:
    n = normalize_ledger_phone("自宅 0773-62-1234")
    assert n.e164 == MAIZURU
    assert "review" in n.flags


@given(st.text(max_size=80))
@settings(max_examples=200, deadline=None)
def test_never_raises_on_any_text(raw: str) -> None:
    for n in (normalize_caller_id(raw), normalize_ledger_phone(raw)):
        assert isinstance(n, CallerNumber)
        assert n.status in {"number", "withheld", "payphone", "unavailable", "invalid"}
        assert (n.e164 is not None) == (n.status == "number")


_phoneish = st.text(alphabet="0123456789+-() ０１２３４５６７８９－内線#xP", max_size=24)


@given(_phoneish)
@settings(max_examples=200, deadline=None)
def test_never_raises_on_phone_like_text(raw: str) -> None:
    n = normalize_ledger_phone(raw)
    if n.e164 is not None:
        parsed = phonenumbers.parse(n.e164, None)
        assert phonenumbers.is_valid_number(parsed)


@given(
    st.sampled_from(["3", "6", "75", "773", "774", "11", "1267", "90", "80", "70", "50", "120",
                     "800", "570", "990", "20", "60", "1", "4", "98"]),
    st.integers(min_value=0, max_value=10**10),
    st.integers(min_value=8, max_value=10),
)  # fmt: skip
@example("1", 693000000, 8)  # 016930000: phonenumbers refuses to parse it
@settings(max_examples=300, deadline=None)
def test_memoized_fast_path_agrees_with_phonenumbers(prefix: str, tail: int, length: int) -> None:
    nsn = (prefix + str(tail).zfill(10))[:length]
    ours = normalize_caller_id("0" + nsn)
    try:  # phonenumbers reads some 01... digits as an international call, and refuses them
        ref = phonenumbers.parse("0" + nsn, "JP")
    except phonenumbers.NumberParseException:
        assert ours.status == "invalid"
        return
    valid = phonenumbers.is_valid_number(ref)
    assert (ours.status == "number") == valid
    if valid:
        fmt = phonenumbers.PhoneNumberFormat
        assert ours.e164 == phonenumbers.format_number(ref, fmt.E164)
        assert ours.national == phonenumbers.format_number(ref, fmt.NATIONAL)


@given(
    st.lists(
        st.sampled_from([*"0123456789", "0", "0", "-", " ", "(", ")", "－", "０", "７", "+", "x"]),
        max_size=16,
    ),
    st.sampled_from(["", "0", "07", "09", "03", "0773", "050", "0120", "00", "81"]),
)
@settings(max_examples=400, deadline=None)
def test_plain_number_fast_path_agrees_with_the_full_normalization(
    chars: list[str], head: str
) -> None:
    raw = head + "".join(chars)
    fast = plain_japanese_number(raw)
    for full in (normalize_ledger_phone(raw), normalize_caller_id(raw)):
        if fast is not None:
            assert (full.status, full.e164, full.kind, full.flags) == ("number", *fast, ())


@pytest.mark.parametrize(
    "raw",
    ["0773-62-1234", "090-1234-5678", "09012345678", "０７７３－６２－１２３４", "(075)123-4567"],
)
def test_plain_number_fast_path_answers_the_common_forms(raw: str) -> None:
    assert plain_japanese_number(raw) == (
        normalize_ledger_phone(raw).e164,
        normalize_ledger_phone(raw).kind,
    )
