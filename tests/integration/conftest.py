"""Fixtures shared by the AMI bridge tests: a test AMI server on real TCP and an event recorder."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.integration.ami_server import FakeAmi, Recorder


@pytest.fixture
async def ami(ami_fixtures: Path) -> AsyncIterator[FakeAmi]:
    """A test AMI server answering the resync actions with the items recorded in 09."""
    server = await FakeAmi(resync=(ami_fixtures / "09-resync.ami").read_bytes()).start()
    yield server
    await server.close()


@pytest.fixture
def rec() -> Recorder:
    return Recorder()
