"""The PBX bridge against faults seen on a real Asterisk, replayed over real TCP with the test
AMI server: refused logins, a flooding or hostile peer, a restart before app_queue is loaded,
and the reconnect pace."""

from __future__ import annotations

import asyncio
import logging
import random

import pytest

from cti_server.ami.bridge import AmiBridge
from cti_server.ami.settings import AmiSettings, backoff_delay
from cti_server.domain import events as ev
from tests.integration.ami_server import AmiSession, FakeAmi, Recorder, block
from tests.integration.test_bridge import fast_settings


def test_a_refused_login_is_retried_by_default() -> None:
    """One refused login (a secret changed in manager.conf and reloaded) must not stop the bridge
    for good: by default it retries, slowly."""
    retry = AmiSettings().auth_retry
    assert retry is not None
    assert 5.0 <= retry <= 120.0


async def test_a_refused_login_keeps_being_retried_and_said_why(
    ami: FakeAmi, rec: Recorder, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.ERROR, "cti_server.ami")
    settings = fast_settings(ami, secret="wrong", auth_retry=0.01)
    b = AmiBridge(settings, rec.on_event, on_state=rec.on_state)
    await b.start()
    try:
        await ami.wait_until(lambda: len(ami.sessions) >= 3)
        refusals = [r for r in caplog.records if "refused" in r.getMessage()]
        assert len(refusals) >= 2  # said at every refusal, not only the first
        assert all("Authentication failed" in r.getMessage() for r in refusals)
        assert b.state == "auth_failed"
        assert "Authentication failed" in b.last_error
        ami.secret = "wrong"  # the PBX now accepts the bridge's secret: it logs in by itself
        await rec.wait_for(ev.ResyncCompleted)
        assert b.connected
    finally:
        await b.close()


def _flood(n: int) -> bytes:
    return b"".join(
        # an event the bridge translates (unwanted ones are dropped unparsed by the frame parser)
        block("Event: Newchannel", f"Channel: PJSIP/flood-{i}", "Uniqueid: " + "y" * 100)
        for i in range(n)
    )


async def test_events_before_the_login_answer_are_bounded(
    ami: FakeAmi, rec: Recorder, caplog: pytest.LogCaptureFixture
) -> None:
    """A peer that sends events and never answers the Login: the bridge must not hold them
    without bound (they are held until the resync starts); it drops the connection instead."""
    flooded = asyncio.Event()

    def flood(session: AmiSession, action: dict[str, str]) -> bytes | None:
        async def go() -> None:
            for _ in range(10):
                await session.send(_flood(5_000))
            flooded.set()

        asyncio.get_running_loop().create_task(go())
        return None  # no answer to the Login

    ami.handlers["login"] = flood
    caplog.set_level(logging.WARNING, "cti_server.ami")
    b = AmiBridge(fast_settings(ami, connect_timeout=30.0), rec.on_event, on_state=rec.on_state)
    await b.start()
    try:
        # the bridge gives up on this connection long before its 30 s login timeout
        await ami.wait_until(lambda: len(ami.sessions) >= 2, within=10.0)
        assert any("before the login answer" in r.getMessage() for r in caplog.records)
    finally:
        await b.close()
    assert rec.of(ev.ResyncStarted) == []


def test_reconnect_backoff_is_capped_at_a_few_seconds_by_default() -> None:
    """Against a real PBX back after 60 s, a 30 s cap made the bridge come back 16.6 s late."""
    s = AmiSettings()
    rng = random.Random(1)
    assert max(backoff_delay(s, n, rng) for n in range(40)) <= 5.0
