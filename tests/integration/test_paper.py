"""Print -> fill -> scan -> read -> review -> intent, on SQLite and PostgreSQL.

Each returned postcard ends applied or in review with its reason; reading the same scans again
changes nothing; a reviewer's decision is an intent on the resident's card and an audit row.
"""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import os

import pytest
from sqlalchemy import func, select

from registry.audit import audit_entries
from registry.errors import Conflict, InvalidInput
from registry.intents import intents_of, record_intent
from registry.models import Intent, PostcardReview, PostcardScan
from registry.normalize.barcode import make_barcode
from registry.paper.pipeline import read_scans
from registry.paper.review import accept_review, get_review, list_reviews, reject_review
from registry.paper.select import print_postcards
from registry.paper.store import CHANNEL
from registry.residents import resident_detail
from tests.integration.web_helpers import add_operator
from tests.paper_corpus import base_cases, make_scans, write_scans


async def _count(sessions, model) -> int:
    async with sessions() as s:
        return int(await s.scalar(select(func.count()).select_from(model)))


@pytest.fixture(scope="module")
def scanned(tmp_path_factory):
    """The corpus's scans, made once: residents 1..n get barcodes of serials 1..n."""
    cases = base_cases()
    scans = make_scans(cases, [(0, make_barcode(i)) for i in range(1, len(cases) + 1)])
    folder = tmp_path_factory.mktemp("scans")
    write_scans(scans, str(folder), kinds=("png", "jpg", "tif"))
    few = tmp_path_factory.mktemp("few")  # for the review tests: four items to review
    write_scans(
        [s for s in scans if s.case.expect in ("note_written", "no_barcode", "several_marked")],
        str(few),
    )
    return scans, folder, few


@pytest.fixture
async def corpus(engine, sessions, scanned):
    from tests.paper_corpus import add_residents

    scans, folder, few = scanned
    ids = dict((b, r) for r, b in await add_residents(engine, len(scans)))
    scans = [dataclasses.replace(s, resident_id=ids.get(s.barcode)) for s in scans]
    for s in scans:  # an earlier phone answer the postcard contradicts
        if s.case.expect == "contradicts_earlier":
            async with sessions() as session:
                await record_intent(session, resident_id=s.resident_id, wants_vaccination=False,
                                    needs_mobility=None, channel="phone")  # fmt: skip
                await session.commit()
    return scans, folder, few


async def test_every_postcard_is_applied_or_in_review_with_its_reason(sessions, corpus, tmp_path):
    scans, folder, _ = corpus
    before = await _count(sessions, Intent)
    report = await read_scans(sessions, [folder], scan_dir=tmp_path / "store")
    assert report.pages == len(scans)
    for scan, (source, page, outcome) in zip(scans, report.results, strict=True):
        assert page == 1
        assert source.startswith(str(folder))
        if scan.case.expect == "applied":
            assert outcome.status == "applied", (scan.case.name, outcome.reasons)
            async with sessions() as s:
                latest = (await intents_of(s, scan.resident_id))[0]
            assert latest.channel == CHANNEL
            assert latest.intent_id == outcome.intent_id
            want = scan.case.filling.answers["wants_vaccination"] == "yes"
            assert latest.wants_vaccination is want
        else:
            assert outcome.status == "review", scan.case.name
            assert scan.case.expect in outcome.reasons, (scan.case.name, outcome.reasons)
            assert outcome.intent_id is None
    applied = sum(1 for s in scans if s.case.expect == "applied")
    assert await _count(sessions, Intent) == before + applied
    assert await _count(sessions, PostcardReview) == len(scans) - applied


async def test_reading_the_same_scans_again_changes_nothing(sessions, corpus, tmp_path):
    _, folder, _ = corpus
    first = await read_scans(sessions, [folder], scan_dir=tmp_path / "store")
    counts = [await _count(sessions, m) for m in (Intent, PostcardScan, PostcardReview)]
    again = await read_scans(sessions, [folder], scan_dir=tmp_path / "store")
    assert again.outcomes == {"already read": first.pages}
    assert [o.scan_id for _, _, o in again.results] == [o.scan_id for _, _, o in first.results]
    assert [await _count(sessions, m) for m in (Intent, PostcardScan, PostcardReview)] == counts


async def test_a_second_scan_of_an_applied_postcard_adds_no_intent(sessions, corpus, tmp_path):
    scans = corpus[0]
    import cv2

    one = tmp_path / "one"
    one.mkdir()
    cv2.imwrite(str(one / "a.png"), scans[0].image)
    cv2.imwrite(str(one / "b.png"), cv2.GaussianBlur(scans[0].image, (3, 3), 0))  # a rescan
    report = await read_scans(sessions, [one], scan_dir=tmp_path / "store")
    a, b = (o for _, _, o in report.results)
    assert (a.status, b.status) == ("applied", "applied")
    assert a.scan_id != b.scan_id
    assert a.intent_id == b.intent_id


async def test_review_items_keep_the_crops_and_the_reasons(sessions, corpus, tmp_path):
    few = corpus[2]
    await read_scans(sessions, [few], scan_dir=tmp_path / "store")
    async with sessions() as s:
        items = await list_reviews(s)
    assert len(items) == 4  # a note, a damaged QR, two with several marks
    note = next(i for i in items if "note_written" in [r["code"] for r in i.reasons])
    assert note.note_image.endswith("-note.png")
    assert note.card_image.endswith("-card.jpg")
    assert await asyncio.to_thread(os.path.isfile, note.note_image)
    assert await asyncio.to_thread(os.path.isfile, note.card_image)
    assert note.readings["wants_vaccination"][0]["state"] == "marked"
    assert all(r["message"] for i in items for r in i.reasons)


async def test_accepting_a_review_records_the_intent_on_the_card_audited(
    engine, sessions, corpus, tmp_path
):
    scans, _, few = corpus
    sv = await add_operator(engine, "sv", "supervisor", None)
    await read_scans(sessions, [few], scan_dir=tmp_path / "store")
    damaged = next(s for s in scans if s.case.expect == "no_barcode")
    async with sessions() as s:
        item = next(i for i in await list_reviews(s) if i.reasons[0]["code"] == "no_barcode")
        with pytest.raises(InvalidInput):  # no barcode read: the reviewer must type it
            await accept_review(s, item.review_id, operator_id=sv, answers={})
        with pytest.raises(InvalidInput):
            await accept_review(s, item.review_id, operator_id=sv, answers={"mobility": "taxi"},
                                barcode=damaged.barcode)  # fmt: skip
        done = await accept_review(
            s, item.review_id, operator_id=sv, barcode=damaged.barcode,
            answers={"wants_vaccination": "yes", "mobility": "wheelchair", "time_of_day": "pm"},
        )  # fmt: skip
        await s.commit()
    assert (done.status, done.resolved_by) == ("accepted", sv)
    assert done.resident_id == damaged.resident_id
    async with sessions() as s:
        card = await resident_detail(s, damaged.resident_id)
        with pytest.raises(Conflict):
            await reject_review(s, item.review_id, operator_id=sv)
        log = await audit_entries(s, operator_id=sv)
    latest = card.intents[0]
    assert latest.channel == CHANNEL
    assert (latest.wants_vaccination, latest.needs_mobility) == (True, True)
    assert "車いす" in latest.notes
    assert "午後" in latest.notes
    assert [e.action for e in log] == ["intent.record", "review.accept"][::-1]


async def test_rejecting_a_review_closes_it_without_an_intent(engine, sessions, corpus, tmp_path):
    _, _, few = corpus
    sv = await add_operator(engine, "sv", "supervisor", None)
    await read_scans(sessions, [few], scan_dir=tmp_path / "store")
    before = await _count(sessions, Intent)
    async with sessions() as s:
        item = (await list_reviews(s))[0]
        await reject_review(s, item.review_id, operator_id=sv, comment="not ours")
        await s.commit()
        closed = await get_review(s, item.review_id)
        still_open = await list_reviews(s)
        log = await audit_entries(s, operator_id=sv)
    assert closed.status == "rejected"
    assert closed.resolution == {"comment": "not ours"}
    assert item.review_id not in [i.review_id for i in still_open]
    assert await _count(sessions, Intent) == before
    assert log[0].action == "review.reject"


async def test_an_unreadable_file_is_kept_in_review(sessions, tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "broken.jpg").write_bytes(b"\xff\xd8 not really a jpeg")
    report = await read_scans(sessions, [folder], scan_dir=tmp_path / "store")
    [(_, _, outcome)] = report.results
    assert (outcome.status, outcome.reasons) == ("review", ("unreadable_file",))
    again = await read_scans(sessions, [folder], scan_dir=tmp_path / "store")
    assert again.outcomes == {"already read": 1}


async def test_print_selection_writes_pdf_and_both_csv_encodings(engine, tmp_path):
    from tests.paper_corpus import add_residents

    residents = await add_residents(engine, 9)
    out = tmp_path / "cards.pdf"
    report = await print_postcards(engine, out, "all", layout="a4x4", as_of=dt.date(2031, 1, 1))
    assert report.postcards == 9
    assert out.read_bytes().startswith(b"%PDF")
    sjis = out.with_suffix(".csv").read_bytes().decode("cp932").splitlines()
    utf8 = out.with_suffix(".utf8.csv").read_bytes()
    assert utf8.startswith(b"\xef\xbb\xbf")
    assert utf8.decode("utf-8-sig").splitlines() == sjis
    assert sjis[0].startswith("はがき番号,")
    assert [line.split(",")[0] for line in sjis[1:]] == [b for _, b in residents]
    assert [line.split(",")[-1] for line in sjis[1:]] == ["1"] * 4 + ["3"] * 4 + ["5"]
    assert "P000001" not in out.with_suffix(".csv").read_text("cp932")  # no ledger number

    import pypdfium2

    assert len(pypdfium2.PdfDocument(out.read_bytes())) == 6  # 3 sheets, both sides


@pytest.mark.parametrize(
    ("spec", "serials"),
    [
        ("all", [1, 2, 3, 4]),
        ("resident:P000003", [3]),
        ("district:浜2", [2]),
        ("age:91-", [1, 2, 3, 4]),
        ("age:-90", []),
        ("unanswered", [1, 3, 4]),
    ],
)
async def test_selections(engine, sessions, spec, serials):
    from registry.paper.select import postcards
    from tests.paper_corpus import add_residents

    residents = await add_residents(engine, 4)
    async with sessions() as s:
        await record_intent(s, resident_id=residents[1][0], wants_vaccination=True,
                            needs_mobility=False, channel="web")  # fmt: skip
        await s.commit()
    got = [c.barcode async for c in postcards(engine, spec, as_of=dt.date(2031, 6, 1))]
    assert got == [residents[i - 1][1] for i in serials]


async def test_a_bad_selection_says_what_is_allowed(engine, tmp_path):
    with pytest.raises(InvalidInput, match="age:75-"):
        await print_postcards(engine, tmp_path / "x.pdf", "ward:3", as_of=dt.date(2031, 1, 1))


async def test_two_readers_of_the_same_scans_record_each_page_once(sessions, corpus, tmp_path):
    _, _, few = corpus
    store = tmp_path / "store"
    first, second = await asyncio.gather(
        read_scans(sessions, [few], scan_dir=store), read_scans(sessions, [few], scan_dir=store)
    )
    assert [o.scan_id for _, _, o in first.results] == [o.scan_id for _, _, o in second.results]
    assert await _count(sessions, PostcardScan) == first.pages
    assert await _count(sessions, PostcardReview) == first.pages
