"""registry.normalize.wareki: every date form of DOMAIN.md, and clear refusals."""

from __future__ import annotations

import contextlib
import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from registry.normalize.wareki import parse_date, to_wareki

D1940 = dt.date(1940, 4, 1)


@pytest.mark.parametrize(
    "text",
    [
        "S15.04.01",
        "S15.4.1",
        "s15.04.01",
        "S15/4/1",
        "S15-04-01",
        "S150401",
        "Ｓ１５．０４．０１",
        "昭15.4.1",
        "㍼15.4.1",
        "昭和15年4月1日",
        "昭和１５年４月１日",
        "昭和 15年 4月 1日",
        "昭和十五年四月一日",
        "昭和15年4月1日生",
        "3150401",
        "03150401",
        "1940-04-01",
        "1940/4/1",
        "1940.04.01",
        "1940年4月1日",
        "一九四〇年四月一日",
        "19400401",
        " 1940-04-01 ",
    ],
)
def test_forms_of_one_date(text: str) -> None:
    assert parse_date(text) == D1940


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("昭和元年12月25日", dt.date(1926, 12, 25)),
        ("大正15年12月24日", dt.date(1926, 12, 24)),
        ("明治45年7月29日", dt.date(1912, 7, 29)),
        ("大正元年7月30日", dt.date(1912, 7, 30)),
        ("平成元年1月8日", dt.date(1989, 1, 8)),
        ("H01.01.08", dt.date(1989, 1, 8)),
        ("R01.05.01", dt.date(2019, 5, 1)),
        ("令和元年5月1日", dt.date(2019, 5, 1)),
        ("㋿2.3.4", dt.date(2020, 3, 4)),
        ("令和二年三月四日", dt.date(2020, 3, 4)),
        ("昭和二十五年五月一日", dt.date(1950, 5, 1)),
        ("昭和三十一年十二月三十一日", dt.date(1956, 12, 31)),
        ("1120101", dt.date(1879, 1, 1)),
        ("2010730", dt.date(1912, 7, 30)),
        ("5010501", dt.date(2019, 5, 1)),
        ("4310430", dt.date(2019, 4, 30)),
        ("M45.07.29", dt.date(1912, 7, 29)),
        ("T01.07.30", dt.date(1912, 7, 30)),
        ("2000-02-29", dt.date(2000, 2, 29)),
    ],
)
def test_era_boundaries_and_forms(text: str, expected: dt.date) -> None:
    assert parse_date(text) == expected


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("S15.02.30", "impossible date"),
        ("昭和15年13月1日", "impossible date"),
        ("1999-02-29", "impossible date"),
        ("19400431", "impossible date"),
        ("昭和64年1月8日", "after 昭和 ended"),
        ("平成31年5月1日", "after 平成 ended"),
        ("H31.05.01", "after 平成 ended"),
        ("大正元年1月1日", "before 大正 began"),
        ("令和元年4月30日", "before 令和 began"),
        ("2010101", "before 大正 began"),
        ("S00.04.01", "era year must be 1"),
        ("6150401", "not a date"),
        ("", "empty"),
        ("   ", "empty"),
        ("yesterday", "not a date"),
        ("昭和十五十年1月1日", "kanji numeral"),
    ],
)
def test_refusals_say_why(text: str, reason: str) -> None:
    with pytest.raises(ValueError, match=reason):
        parse_date(text)


@given(st.dates(min_value=dt.date(1873, 1, 1), max_value=dt.date(2100, 12, 31)))
@settings(max_examples=200, deadline=None)
def test_wareki_round_trip(date: dt.date) -> None:
    assert parse_date(to_wareki(date)) == date
    assert parse_date(to_wareki(date, style="letter")) == date
    assert parse_date(date.isoformat()) == date
    assert parse_date(date.strftime("%Y%m%d")) == date


@given(st.text(max_size=20))
@settings(max_examples=200, deadline=None)
def test_only_value_error_on_garbage(text: str) -> None:
    with contextlib.suppress(ValueError):
        parse_date(text)


@pytest.mark.parametrize(
    ("text", "year"),
    [
        ("S15", 1940),
        ("昭和15年", 1940),
        ("昭15", 1940),
        ("昭和十五年", 1940),
        ("ｓ１５", 1940),
        ("平成元年", 1989),
        ("R1", 2019),
        ("1940", 1940),
        ("1940年", 1940),
    ],
)
def test_parse_year_alone(text, year):
    from registry.normalize.wareki import parse_year

    assert parse_year(text) == year


@pytest.mark.parametrize("text", ["S65", "T16", "12", "abc", ""])
def test_parse_year_refuses(text):
    from registry.normalize.wareki import parse_year

    with pytest.raises(ValueError, match="year"):
        parse_year(text)
