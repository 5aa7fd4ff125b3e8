"""The residents' page's pure parts: the masked name, the forms as typed, the session cookie and
CSRF token, the per-address window; and the client's label of the ``web`` channel."""

from __future__ import annotations

import datetime as dt

import pytest

from cti_server.web.resident_forms import read_answer, read_barcode, read_birth, read_change
from cti_server.web.resident_guard import MemoryRequestLimit, Session, SessionCodec
from cti_server.web.resident_text import _TEXT, LANGS, notes_text, slot_text
from registry.normalize.barcode import make_barcode

TODAY = dt.date(2026, 12, 4)
CODE = make_barcode(4711)


@pytest.mark.parametrize(
    ("typed", "expected"),
    [(CODE, (CODE, None)), (f"{CODE[:4]} {CODE[4:8]}-{CODE[8:]}", (CODE, None)),
     ("０００００００４７１１８", (CODE, None)), ("", (None, "err_barcode_empty")),
     (CODE[:-1], (None, "err_barcode_digits")), ("abc", (None, "err_barcode_digits")),
     (CODE[:-2] + CODE[-1] + CODE[-2], (None, "err_barcode_check"))],
)  # fmt: skip
def test_the_postcard_number_as_typed(typed, expected):
    assert read_barcode(typed) == expected


@pytest.mark.parametrize(
    "typed", ["昭和18年5月10日", "S18.5.10", "Ｓ１８．５．１０", "1943/5/10", "1943-05-10",
              "昭和十八年五月十日", "19430510"],
)  # fmt: skip
def test_birth_dates_as_people_type_them(typed):
    assert read_birth(typed, TODAY) == (dt.date(1943, 5, 10), None)


@pytest.mark.parametrize("typed", ["昭和70年1月1日", "1943/13/1", "5月10日", "2030/1/1"])
def test_impossible_or_future_birth_dates_are_refused(typed):
    assert read_birth(typed, TODAY) == (None, "err_birth_format")


def test_the_answer_form_asks_what_the_postcard_asks():
    venues = [(1, "中総合会館")]
    form = {"wants_vaccination": "yes", "mobility": "none", "time_of_day": "any", "venue": "1"}
    answer, errors = read_answer(form, venues)
    assert errors == {}
    assert answer is not None
    assert (answer.wants_vaccination, answer.needs_mobility) == (True, False)
    assert answer.notes == "移動支援: 不要 / 希望時間帯: どちらでも / 希望会場: 中総合会館"
    _, errors = read_answer({"wants_vaccination": "yes", "venue": "7"}, venues)
    assert errors == {"mobility": "err_mobility", "time_of_day": "err_time", "venue": "err_venue"}
    _, errors = read_answer({"wants_vaccination": "maybe", "note": "x" * 501}, venues)
    assert errors == {"wants_vaccination": "err_wants", "note": "err_note_long"}
    no, errors = read_answer({"wants_vaccination": "no"}, venues)
    assert errors == {}
    assert no is not None
    assert (no.wants_vaccination, no.needs_mobility, no.notes) == (False, None, "")


def test_the_change_form():
    change, errors = read_change({"kind": "cancel", "booking_id": "12", "note": " 入院します "})
    assert errors == {}
    assert change is not None
    assert (change.kind, change.booking_id, change.note) == ("cancel", 12, "入院します")
    assert read_change({"kind": "move"})[1] == {"kind": "err_kind"}


def test_the_session_cookie_is_signed_and_expires():
    codec = SessionCodec("k" * 32)
    s = codec.fresh(41, now=1000.0)
    value = codec.encode(s)
    assert codec.decode(value, now=1001.0) == Session(s.sid, 41, float(int(s.expires)))
    assert codec.decode(value, now=s.expires + 1) is None  # expired
    data, mac = value.rsplit(".", 1)
    assert codec.decode(data[:-2] + "xx." + mac, now=1001.0) is None  # tampered
    assert SessionCodec("o" * 32).decode(value, now=1001.0) is None  # another server's key
    assert codec.decode("garbage", now=1001.0) is None


def test_the_csrf_token_belongs_to_its_session():
    codec = SessionCodec("k" * 32)
    a, b = codec.fresh(), codec.fresh()
    assert codec.csrf_ok(a, codec.csrf(a))
    assert not codec.csrf_ok(b, codec.csrf(a))
    assert not codec.csrf_ok(None, codec.csrf(a))
    assert not codec.csrf_ok(a, "")


async def test_the_address_window_counts_and_starts_again():
    limit = MemoryRequestLimit(2, 60.0)
    assert [await limit.hit("a", now=10.0) for _ in range(3)] == [True, True, False]
    assert await limit.hit("b", now=10.0)  # another address
    assert await limit.hit("a", now=61.0)  # the next window


def test_every_text_has_both_languages_and_slot_times_are_local():
    assert LANGS == ("ja", "en")
    assert all(ja and en for ja, en in _TEXT.values())
    start = dt.datetime(2031, 5, 12, 1, 0, tzinfo=dt.UTC)
    tokyo = dt.timezone(dt.timedelta(hours=9))
    end = start + dt.timedelta(minutes=30)
    assert slot_text(start, end, tokyo, "ja") == "2031年5月12日（月）10:00〜10:30"
    assert slot_text(start, end, tokyo, "en") == "Mon 12 May 2031, 10:00–10:30"


def test_the_client_names_the_web_channel_in_both_languages(qapp):
    from desktop_client.i18n import Translations
    from desktop_client.views.labels import channel_text
    from registry.intents import CHANNELS

    assert "web" in CHANNELS
    assert channel_text("web") == "ウェブ"
    translations = Translations(qapp)
    assert translations.use("en")
    try:
        assert channel_text("web") == "web"
        assert channel_text("assigned") != "割当"
    finally:
        translations.use("ja")


def test_the_notes_read_in_the_pages_language():
    notes = "移動支援: 送迎 / 希望時間帯: 午後 / 希望会場: 西市民プラザ / 要望: 午後がいい"
    assert notes_text(notes, "ja") == notes
    assert notes_text(notes, "en") == (
        "Help getting there: Pick-up / Time of day: Afternoon / Venue: 西市民プラザ"
        " / Note: 午後がいい"
    )
    assert notes_text("住所変更あり", "en") == "住所変更あり"  # an operator's own words
