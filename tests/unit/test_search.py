"""NameIndex.search: variants folded, look-alikes kept apart, birth filters, all fields ranked."""

from __future__ import annotations

import datetime as dt
import threading

import pytest

from registry.errors import InvalidInput
from registry.find.search import IndexedResident, NameIndex, SearchQuery, search_residents


def _r(rid: int, name: str, kana: str, born: dt.date | None, **kw: object) -> IndexedResident:
    return IndexedResident(rid, name, kana, born, **kw)  # type: ignore[arg-type]


LEDGER = [
    _r(1, "高橋 一郎", "タカハシ イチロウ", dt.date(1950, 4, 1), sex="M",
       address="京都府舞鶴市北吸1-2", household_id=10, household_no="H10",
       phones=("+81773621234",)),
    _r(2, "斉藤 花子", "サイトウ ハナコ", dt.date(1960, 3, 5), address="京都府舞鶴市浜3"),
    _r(3, "齋藤 花子", "サイトウ ハナコ", dt.date(1961, 5, 3), address="京都府舞鶴市溝尻4"),
    _r(4, "髙橋 次郎", "タカハシ ジロウ", dt.date(1980, 1, 2), address="京都府舞鶴市北吸1-2",
       household_id=10, household_no="H10", status="moved"),
    _r(5, "渡邊 健", "ワタナベ ケン", dt.date(1975, 11, 30), phones=("+819012345678",)),
    _r(6, "佐藤 博", "サトウ ヒロシ", dt.date(1944, 8, 15), address="京都府舞鶴市浜1"),
    _r(7, "佐藤 博", "サトウ ヒロシ", dt.date(1951, 2, 20), address="京都府舞鶴市余部下2"),
    _r(8, "佐藤 弘", "サトウ ヒロシ", dt.date(1951, 2, 21), address="京都府舞鶴市浜9"),
]  # fmt: skip


@pytest.fixture(scope="module")
def index() -> NameIndex:
    return NameIndex.from_residents(LEDGER)


def ids(index: NameIndex, **q: str) -> list[int]:
    return [m.resident_id for m in index.search(SearchQuery(**q))]


def test_variant_kanji_is_found_at_full_score(index):
    top = index.search(SearchQuery(name="髙橋 一郎"))[0]
    assert (top.resident_id, top.score, top.name) == (1, 100, "高橋 一郎")
    assert top.reasons == ("name:kanji 100",)
    assert ids(index, name="渡辺 健")[0] == 5
    assert ids(index, name="渡邉健")[0] == 5


def test_look_alikes_are_not_merged(index):
    result = index.search(SearchQuery(name="斎藤 花子"))
    assert result[0].resident_id == 3  # 齋藤 folds to 斎藤
    other = next(m for m in result if m.resident_id == 2)  # 斉藤: a different character
    assert other.score < 90


def test_swapped_name_order(index):
    assert ids(index, name="一郎 高橋")[0] == 1
    top = index.search(SearchQuery(name="イチロウ タカハシ"))[0]
    assert (top.resident_id, top.score) == (1, 100)


@pytest.mark.parametrize(
    "name",
    ["タカハシ イチロ", "タカハシ イチロー", "ﾀｶﾊｼ ｲﾁﾛｳ", "たかはし いちろう", "タカハツイチロウ"],
)
def test_typos_and_kana_forms(index, name):
    top = index.search(SearchQuery(name=name))[0]
    assert top.resident_id == 1
    assert top.reasons[0].startswith("name:kana ")


def test_birth_date_in_wareki_filters_first(index):
    result = index.search(SearchQuery(name="サトウ ヒロシ", birth="S26.2.20"))
    assert result[0].resident_id == 7
    assert result[0].reasons == ("name:kana 100", "birth_exact")
    assert result[0].score == 100
    # the person born a day later is not in the date block: ranked below the exact match
    assert all(m.score < 100 for m in result[1:])


def test_birth_date_swapped_and_year_off(index):
    by_id = {m.resident_id: m for m in index.search(SearchQuery(birth="昭和36年3月5日"))}
    assert by_id[3].reasons == ("birth_swapped",)  # born 1961-05-03
    assert by_id[2].reasons == ("birth_year±1",)  # born 1960-03-05
    assert by_id[3].score > by_id[2].score
    assert ids(index, birth="1961-03-05", name="サイトウ ハナコ")[0] == 3


def test_same_reading_people_ranked_by_the_other_fields(index):
    # three サトウ ヒロシ: the address picks one
    result = index.search(SearchQuery(name="サトウ ヒロシ", address="余部"))
    assert result[0].resident_id == 7
    assert result[0].reasons == ("name:kana 100", "address")
    assert {m.resident_id for m in result[1:3]} == {6, 8}


def test_phone_fragment_and_address_alone(index):
    assert ids(index, phone="62-1234") == [1]
    assert ids(index, phone="０９０１２３４") == [5]
    assert ids(index, phone="+81 90 1234 5678") == [5]
    assert set(ids(index, address="北吸")) == {1, 4}
    moved = index.search(SearchQuery(address="北吸"))[-1]
    assert moved.resident_id == 4
    assert "status:moved" in moved.reasons


def test_result_fields(index):
    m = index.search(SearchQuery(name="タカハシ イチロウ"))[0]
    assert m.name_kana == "タカハシ イチロウ"
    assert m.birth_date == dt.date(1950, 4, 1)
    assert (m.sex, m.household_id, m.household_no) == ("M", 10, "H10")
    assert m.address == "京都府舞鶴市北吸1-2"


@pytest.mark.parametrize(
    ("query", "field"),
    [
        (SearchQuery(), "name"),
        (SearchQuery(name="  ", address="\u3000"), "name"),
        (SearchQuery(birth="S99.99.99"), "birth"),
        (SearchQuery(phone="12"), "phone"),
    ],
)
def test_invalid_queries_raise(index, query, field):
    with pytest.raises(InvalidInput) as err:
        index.search(query)
    assert err.value.field == field


def test_nothing_found_is_an_empty_list(index):
    assert index.search(SearchQuery(phone="99999")) == []


def test_upsert_and_remove_keep_the_index_fresh():
    index = NameIndex.from_residents(LEDGER)
    index.upsert(_r(9, "新井 真", "アライ マコト", dt.date(2000, 1, 1), phones=("+818011112222",)))
    assert ids(index, name="アライ マコト")[0] == 9
    assert ids(index, phone="1111222") == [9]
    index.upsert(_r(1, "高橋 一朗", "タカハシ イチロウ", dt.date(1950, 4, 1)))  # an edit
    top = index.search(SearchQuery(name="高橋 一朗"))[0]
    assert (top.resident_id, top.name, top.score) == (1, "高橋 一朗", 100)
    assert [
        m.name for m in index.search(SearchQuery(name="タカハシ イチロウ")) if m.resident_id == 1
    ] == ["高橋 一朗"]
    assert index.remove(9) is True
    assert index.remove(9) is False
    assert 9 not in ids(index, name="アライ マコト")
    assert len(index) == len(LEDGER)


async def test_search_residents_runs_in_a_worker_thread(index):
    seen: list[int] = []
    original = index.search_page

    def spy(q: SearchQuery, limit: int = 10):
        seen.append(threading.get_ident())
        return original(q, limit)

    index.search_page = spy  # type: ignore[method-assign]
    try:
        result = await search_residents(index, SearchQuery(name="タカハシ イチロウ"))
    finally:
        del index.search_page
    assert result.matches[0].resident_id == 1
    assert len(seen) == 1
    assert seen[0] != threading.get_ident()  # not the event loop's thread


@pytest.mark.parametrize("year", ["S26", "昭和26年", "昭26", "昭和二十六年", "1951", "1951年"])
def test_a_year_alone_filters_by_birth_year(index, year):
    found = index.search(SearchQuery(name="サトウ ヒロシ", birth=year))
    assert [m.resident_id for m in found][:2] in ([7, 8], [8, 7])
    assert found[0].reasons[-1] == "birth_year"
    assert {m.resident_id for m in found if "birth_year" in m.reasons} == {7, 8}


def test_a_year_alone_without_a_name(index):
    assert sorted(ids(index, birth="S25")) == [1]


def test_a_bad_year_names_the_birth_field(index):
    with pytest.raises(InvalidInput) as err:
        index.search(SearchQuery(name="サトウ", birth="S99"))
    assert err.value.field == "birth"


@pytest.mark.parametrize("name", ["_", "・", "-- "])
def test_a_name_with_nothing_to_search_by_is_refused_naming_the_field(name):
    with pytest.raises(InvalidInput) as err:
        NameIndex().search(SearchQuery(name=name), 10)
    assert err.value.field == "name"


def test_ids_beyond_four_bytes_still_fit():
    """Ids are kept in 4-byte arrays while they fit; a larger one widens them, nothing lost."""
    index = NameIndex.from_residents(LEDGER)
    big = 2**40 + 7
    index.upsert(
        _r(big, "新井 真", "アライ マコト", dt.date(2000, 1, 1), phones=("+818011112222",))
    )
    assert ids(index, name="アライ マコト")[0] == big
    assert ids(index, phone="1111222") == [big]
    assert index.search(SearchQuery(name="高橋 一朗"))[0].resident_id == 1
    assert index.remove(big) is True


def test_name_and_address_rank_every_same_name_resident_like_exhaustive_scoring():
    """More same-name residents than the old cap of 3,000: the one at the address is found, and
    the page is what scoring every resident of the name one by one gives."""
    ledger = [
        _r(i, "佐藤 博", "サトウ ヒロシ", dt.date(1950, 1, 1) + dt.timedelta(days=i % 9000),
           address=f"京都府舞鶴市浜{i}番地" if i != 3999 else "京都府舞鶴市北吸7番地")
        for i in range(1, 4001)
    ]  # fmt: skip
    index = NameIndex.from_residents(ledger)
    result = index.search(SearchQuery(name="サトウ ヒロシ", address="北吸"), limit=5)
    assert result[0].resident_id == 3999
    assert result[0].reasons == ("name:kana 100", "address")
    # exhaustive: name 100 for all, +address for 3999 only; ties by resident id
    assert [m.resident_id for m in result] == [3999, 1, 2, 3, 4]
    assert [m.score for m in result] == [100.0, 80.0, 80.0, 80.0, 80.0]


def test_banchi_picks_one_of_the_same_name_residents_of_one_town():
    """Twelve サトウ ヒロシ in 浜: the banchi typed, in any numeral form, puts the one first,
    then the one at that banchi of 字長浜 (浜 only inside its name), then the others of 浜."""
    ledger = [
        _r(i, "佐藤 博", "サトウ ヒロシ", dt.date(1950, 1, 1), address=f"京都府舞鶴市浜{i}番地")
        for i in range(1, 13)
    ]
    ledger[6] = _r(7, "佐藤 博", "サトウ ヒロシ", dt.date(1950, 1, 1),
                   address="京都府舞鶴市浜1207番地の3")  # fmt: skip
    ledger.append(_r(13, "佐藤 博", "サトウ ヒロシ", None, address="京都府舞鶴市字長浜1207番地の3"))
    index = NameIndex.from_residents(ledger)
    for typed in (
        "浜1207-3",
        "浜千二百七番地の三",
        "字浜 １２０７－３",
        "浜1207番3号",
        "浜1207ー3",
    ):
        result = index.search(SearchQuery(name="サトウ ヒロシ", address=typed), limit=13)
        assert [m.resident_id for m in result][:3] == [7, 13, 1], typed
        assert result[0].reasons == ("name:kana 100", "address")
        assert result[0].score == 100.0
    # only the banchi's first number right: still above the rest of the town
    result = index.search(SearchQuery(name="サトウ ヒロシ", address="浜1207-9"), limit=3)
    assert [m.resident_id for m in result] == [7, 13, 1]
    assert result[0].score > result[1].score > result[2].score
    # 長浜 holds 浜 but is another town
    result = index.search(SearchQuery(name="サトウ ヒロシ", address="浜"), limit=13)
    assert [m.resident_id for m in result][-1] == 13
    assert result[-1].score < result[0].score
    assert ids(index, address="浜1207-3") == [7, 13]


def test_a_page_cut_inside_a_tie_says_how_many_were_left_off():
    """Thirteen サトウ ヒロシ in 浜 and one in 字長浜: name + town cannot tell the thirteen
    apart; a page of 10 says 3 more scored the same (not the 字長浜 one, scored lower)."""
    ledger = [
        _r(i, "佐藤 博", "サトウ ヒロシ", dt.date(1950, 1, 1), address=f"京都府舞鶴市浜{i}番地")
        for i in range(1, 14)
    ]
    ledger.append(_r(14, "佐藤 博", "サトウ ヒロシ", None, address="京都府舞鶴市字長浜9番地"))
    index = NameIndex.from_residents(ledger)
    q = SearchQuery(name="サトウ ヒロシ", address="浜")
    page = index.search_page(q, limit=10)
    assert [m.resident_id for m in page.matches] == list(range(1, 11))
    assert page.tied_beyond == 3
    assert page.matches == index.search(q, limit=10)
    assert index.search_page(q, limit=13).tied_beyond == 0  # the rest is the 字長浜 one
    assert index.search_page(q, limit=20).tied_beyond == 0
    # the banchi picks the one: nothing is tied with it
    assert index.search_page(SearchQuery(name="サトウ ヒロシ", address="浜12"), 1).tied_beyond == 0


def test_banchi_does_not_outweigh_a_different_name(index):
    # the address is graded, but it stays a minor field: a wrong name at the right banchi is
    # not put above the right name in the right town
    result = index.search(SearchQuery(name="サトウ ヒロシ", address="北吸1-2"))
    assert result[0].resident_id in {6, 7, 8}


def test_a_kana_substituted_in_a_short_given_name_still_finds_the_family_names_keys():
    """``サトウ ユユキ`` for ``サトウ ミユキ``: the typo kills two of the given name's bigrams,
    and by shared bigrams alone other families' names that keep more of them come first (at 1M
    keys, hundreds). Every key of the family name is also scored, so the person is found."""
    from rapidfuzz import fuzz

    from registry.find.search_store import NameKeys

    keys = NameKeys()
    # other families sharing more of the query's bigrams than the person does (サ…トウ ユユキ)
    others = [f"サ{x}トウ ユユキ" for x in "イエオカキクケコシスセソ"]
    for row, key in enumerate([*others, "サトウ ミユキ", "サトウ タロウ"]):
        keys.add(key, row)
    keys.freeze()

    def scorer(q, qkeys, spaced):
        return float(fuzz.ratio(qkeys[0], spaced.replace(" ", "")))

    found = keys.search("サトウ ユユキ", ("サトウユユキ", "ユユキサトウ"), 5, 20, scorer)
    assert "サトウ ミユキ" in [keys.spaced(e) for e, _ in found]
