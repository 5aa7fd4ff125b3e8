"""The latest intent answer where the operator looks: the pop's 状況 column and the resident
card say what the resident answered, by which channel and on which day (Tokyo); the board
counts residents by the channel of their latest answer, with its definition on hover."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest

from cti_server import protocol
from desktop_client.models.resident import IntentLine, ResidentCard, ResidentModel
from desktop_client.views.candidates import FLAGS_COLUMN, CandidateTree
from desktop_client.views.resident import ResidentCardView
from tests.gui.test_board_view import burst_board, make_view, qsettings  # noqa: F401

pytestmark = pytest.mark.gui


def candidate(rid: int, **kw) -> protocol.Candidate:
    return protocol.Candidate(rid, "山田 花子", "ヤマダ ハナコ", "1941-02-03", 85, "F", "",
                              None, 100.0, **kw)  # fmt: skip


def test_the_pop_shows_the_latest_answer_with_its_channel_and_tokyo_day(qtbot, client):
    tree = CandidateTree()
    qtbot.addWidget(tree)
    at = "2026-05-11T23:30:00+00:00"  # 12 May in Tokyo
    tree.show_flat(
        [
            candidate(1, flags=("booked",), intent=protocol.LatestIntent(True, False, "phone", at)),
            candidate(2, intent=protocol.LatestIntent(False, None, "postcard_ocr", at)),
            candidate(3),
        ]
    )
    rows = [tree.topLevelItem(i).text(FLAGS_COLUMN) for i in range(3)]
    assert rows == [
        "予約済　意向: 接種希望 はい・移動支援 いいえ（電話 2026-05-12）",
        "意向: 接種希望 いいえ・移動支援 未回答（はがき 2026-05-12）",
        "",
    ]
    client.set_language("en")
    tree.show_flat([candidate(2, intent=protocol.LatestIntent(True, True, "web", at))])
    assert tree.topLevelItem(0).text(FLAGS_COLUMN) == (
        "Intent: Vaccination yes · mobility support yes (web 2026-05-12)"
    )
    client.set_language("ja")


def test_the_card_shows_the_latest_answer_or_none_yet(qtbot):
    model = ResidentModel()
    view = ResidentCardView(model)
    qtbot.addWidget(view)
    card = ResidentCard(1, "山田 花子", "ヤマダ ハナコ", dt.date(1941, 2, 3), "F", "舞鶴市浜1")
    model.set_card(card)
    assert view.values["intent"].text() == "まだ回答なし"
    model.set_card(
        dataclasses.replace(
            card,
            intents=(
                IntentLine(True, True, "postcard_ocr", "2026-05-01T01:00:00+00:00"),
                IntentLine(False, None, "phone", "2026-05-10T03:00:00+00:00"),
            ),
        )
    )
    assert view.values["intent"].text() == "接種希望 いいえ・移動支援 未回答（電話 2026-05-10）"


def test_the_board_counts_intents_by_channel(qtbot, qsettings, ami_fixtures):  # noqa: F811
    board = dataclasses.replace(
        burst_board(ami_fixtures), intents=protocol.IntentsByChannel(120, 30, 45, 9805)
    )
    view, _, _ = make_view(qtbot, qsettings, board)
    assert view.intents.text() == "意向: はがき 120・ウェブ 30・電話 45・未回答 9805"
    assert "最新の意向回答の経路" in view.intents.toolTip()
