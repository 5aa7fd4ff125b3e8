"""The キャンペーン設定 history shows the answer to the last request, whatever order the answers
come back in (a save asks for one key's history, the admin picks another at once)."""

from __future__ import annotations

from typing import Any

import pytest

from cti_server.protocol import ConfigChanged, ConfigEntry, ConfigHistory
from desktop_client.api import Reply

pytestmark = pytest.mark.gui


class HeldAnswers:
    """The history requests, answered when the test says."""

    def __init__(self) -> None:
        self.asked: list[tuple[str, Any]] = []

    def campaign_config_history(self, key: str, done: Any) -> None:
        self.asked.append((key, done))

    def answer(self, i: int, versions: int) -> None:
        key, done = self.asked[i]
        entries = tuple(ConfigEntry(key, v, []) for v in range(versions, 0, -1))
        done(Reply(200, ConfigHistory(key, entries)))


def test_an_earlier_answer_arriving_last_is_not_shown(client) -> None:  # type: ignore[no-untyped-def]
    ctl, api = client.config, HeldAnswers()
    ctl.api = api
    ctl.role = "admin"
    ctl.load_history("dispositions")  # after a save, say
    ctl.load_history("mobility_options")  # the admin picks another key at once
    api.answer(1, versions=2)
    api.answer(0, versions=5)  # the first request's answer comes last
    assert ctl.model.history_key == "mobility_options"
    assert [e.version for e in ctl.model.history] == [2, 1]

    # another admin saves: the key being looked at is read again, another key is not
    ctl.on_message(ConfigChanged(key="dispositions", version=6))
    assert len(api.asked) == 2
    ctl.on_message(ConfigChanged(key="mobility_options", version=3))
    assert api.asked[-1][0] == "mobility_options"
    api.answer(2, versions=3)
    assert [e.version for e in ctl.model.history] == [3, 2, 1]
