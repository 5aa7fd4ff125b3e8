"""The supervisor board in the client against the real cti_server and the PBX simulator over AMI:
a supervisor gets the board tab, SubscribeBoard, live BoardUpdates, and pauses / unpauses an
agent from the view (QueuePause reaching the simulator), subscribes again after a server
restart; closing the tab unsubscribes, F8 subscribes again. An
operator gets no tab and never subscribes."""

from __future__ import annotations

from typing import Any

import pytest
from aiohttp import web

from cti_server import protocol
from desktop_client.views import board_view
from tests.gui.test_client_real_server import RealServer

pytestmark = pytest.mark.gui
PASSWORD = "pw-123456"


class SimServer(RealServer):
    """RealServer with the AMI bridge logged in to a PbxSimulator (one agent, 1001)."""

    async def setup(self) -> dict[str, Any]:
        from cti_server.sim.server import PbxSimulator
        from registry.db import session_factory
        from registry.operators import create_operator

        seed = await super().setup()
        async with session_factory(self.engine)() as s:
            await create_operator(s, "sv1", PASSWORD, role="supervisor", display_name="監督者")
            await s.commit()
        self.sim = PbxSimulator(username="cti", secret="cti-secret", agents=1, speed=4.0)
        self.sim_port = await self.sim.start("127.0.0.1", 0)
        return seed

    def create_app(self) -> web.Application:
        from cti_server.web.app import create_app
        from tests.integration.web_helpers import make_settings

        settings = make_settings(
            self.url_db, ami_enabled=True, ami_host="127.0.0.1", ami_port=self.sim_port,
            ami_user="cti", ami_secret="cti-secret",
        )  # fmt: skip
        return create_app(settings, engine=self.engine, load_name_index=False)

    async def stop_sim(self) -> None:
        await self.sim.stop()

    async def place_call(self) -> str:
        return self.sim.place_call("0773621234", talk=1.0, patience=600.0).linkedid

    async def subscribers(self) -> int:
        from cti_server.web.board_app import BOARD

        assert self.app is not None
        return len(self.app[BOARD].subscribers)


@pytest.fixture
def sim(tmp_path):
    server = SimServer(tmp_path / "ledger.sqlite3")
    server.thread.start()
    server.seed = server.call(server.setup())
    server.call(server.start())
    yield server
    server.call(server.stop())
    server.call(server.stop_sim())
    server.call(server.engine.dispose())
    server.loop.call_soon_threadsafe(server.loop.stop)
    server.thread.join(5)
    server.loop.close()


def _record(client) -> list[object]:
    seen: list[object] = []
    client.link.message_received.connect(seen.append)
    return seen


def _agent(client, ext: str) -> protocol.BoardAgent | None:
    model = client.board.model
    return next((a for a in model.agents if a.extension == ext), None) if model else None


def _state(client, ext: str) -> str:
    agent = _agent(client, ext)
    return agent.state if agent else ""


def _waiting(client) -> int | None:
    queues = client.board.model.queues
    return queues[0].waiting if queues else None


def test_supervisor_gets_the_live_board_and_pauses_an_agent(qtbot, client, sim, monkeypatch):
    seen = _record(client)
    client.link.login(f"http://127.0.0.1:{sim.port}", "sv1", PASSWORD, lambda r: None)
    qtbot.waitUntil(lambda: client.board.subscribed, timeout=10000)
    window = client.window
    assert window.board is client.board.view
    # calls, board, venues and slots, postcard review, assignment, callback worklist
    assert window.sections.count() == 6
    assert window.sections.tabText(1) == "監視ボード (F8)"
    assert window.sections.currentWidget() is window.board  # a supervisor lands on the board
    assert window.board_action.isVisible()
    qtbot.waitUntil(lambda: _state(client, "1001") == "available", timeout=15000)
    assert any(isinstance(m, protocol.BoardUpdate) for m in seen)

    view = client.board.view
    row = [a.extension for a in client.board.model.agents].index("1001")
    view.agents.selectRow(row)
    monkeypatch.setattr(board_view, "ask_pause_reason", lambda *a, **k: ("休憩", True))
    view.pause_button.click()
    qtbot.waitUntil(lambda: _state(client, "1001") == "paused", timeout=10000)
    assert sim.sim.members[0].paused
    assert sim.sim.members[0].reason == "休憩"
    assert view.agents.item(row, 4).text() == "休憩"

    linkedid = sim.call(sim.place_call())  # nobody free: the caller waits in the queue
    qtbot.waitUntil(lambda: _waiting(client) == 1, timeout=10000)
    assert view.queues.item(0, 1).text() == "1"
    oldest = client.board.model.queues[0].oldest_queued_at
    assert oldest is not None
    assert linkedid

    assert view.resume_button.isEnabled()
    view.resume_button.click()
    qtbot.waitUntil(lambda: _waiting(client) == 0, timeout=10000)
    assert not sim.sim.members[0].paused
    assert client.board.model.error == ""

    sim.call(sim.stop())  # the server restarts: a new socket, a new Hello, a new SubscribeBoard
    qtbot.waitUntil(lambda: not client.board.subscribed, timeout=10000)
    sim.call(sim.start())
    qtbot.waitUntil(lambda: client.board.subscribed, timeout=15000)
    qtbot.waitUntil(lambda: sim.call(sim.subscribers()) == 1, timeout=5000)

    window.sections.tabCloseRequested.emit(1)  # the supervisor closes the board tab
    assert window.board is None
    assert not client.board.subscribed
    qtbot.waitUntil(lambda: sim.call(sim.subscribers()) == 0, timeout=5000)
    window.show_board()  # F8 brings it back and subscribes again
    assert window.board is client.board.view
    qtbot.waitUntil(lambda: sim.call(sim.subscribers()) == 1, timeout=5000)


def test_operator_gets_no_board_and_never_subscribes(qtbot, client, sim):
    seen = _record(client)
    client.link.login(f"http://127.0.0.1:{sim.port}", "op1", PASSWORD, lambda r: None)
    qtbot.waitUntil(lambda: client.link.hello is not None, timeout=10000)
    assert client.link.hello.operator.role == "operator"
    window = client.window
    assert window.board is None
    assert window.sections.count() == 2  # calls and the callback worklist
    assert not window.board_action.isVisible()
    window.show_board()  # F8 does nothing for an operator
    assert window.board is None
    assert client.board.model is None

    sim.call(sim.place_call())  # the board changes; the operator's phone (1001) rings
    qtbot.waitUntil(lambda: client.pop.pop is not None, timeout=15000)
    assert sim.call(sim.subscribers()) == 0
    assert not client.board.subscribed
    kinds = {type(m).__name__ for m in seen}
    assert "BoardUpdate" not in kinds
    assert "ErrorMessage" not in kinds  # no SubscribeBoard was ever sent (it would be refused)
