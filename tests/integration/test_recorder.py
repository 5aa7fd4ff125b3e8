"""The call recorder batches: changes wait (``linger``) and go in one transaction; ``flush``
writes what waits at once, and the board's reload of today's calls flushes first."""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
from contextlib import asynccontextmanager

from cti_server.board import BoardService
from cti_server.domain.tracker import Tracker
from cti_server.recorder import CallRecorder
from registry.calls import get_call, upsert_call, upsert_calls
from tests.integration.web_helpers import make_settings

LONG = 3600.0  # a linger no test waits for: only a flush writes


class CountedSessions:
    """The sessions, counting those opened (each recorder batch is one)."""

    def __init__(self, sessions) -> None:
        self.sessions = sessions
        self.opened = 0

    @asynccontextmanager
    async def __call__(self):
        self.opened += 1
        async with self.sessions() as s:
            yield s


def _recorder(sessions, linger: float = LONG) -> CallRecorder:
    settings = make_settings()
    return CallRecorder(sessions, settings.extension_of, "0773", linger=linger)


async def _turns(n: int = 20) -> None:
    for _ in range(n):
        await asyncio.sleep(0)


async def test_changes_wait_and_go_in_one_transaction(sessions):
    counted = CountedSessions(sessions)
    recorder = _recorder(counted)
    recorder.start()
    at = dt.datetime.now(dt.UTC)
    for i in range(5):
        recorder.put(f"b.{i}", {"queue": "vaccine", "entered_at": at, "outcome": "ongoing"})
        recorder.put(f"b.{i}", {"answered_at": at, "extension": "1001"})
    await _turns()
    assert counted.opened == 0  # still lingering
    await recorder.flush()
    assert counted.opened == 1
    async with sessions() as s:
        for i in range(5):
            rec = await get_call(s, f"b.{i}")
            assert (rec.queue, rec.extension, rec.outcome) == ("vaccine", "1001", "ongoing")
    await recorder.flush()  # nothing waits: no transaction more
    assert counted.opened == 1
    recorder.put("b.0", {"outcome": "answered", "ended_at": at})
    await recorder.close()  # shutdown writes what waits
    async with sessions() as s:
        assert (await get_call(s, "b.0")).outcome == "answered"


async def test_a_flush_waits_for_the_batch_being_written(sessions):
    recorder = _recorder(sessions, linger=0.0)
    recorder.start()
    at = dt.datetime.now(dt.UTC)
    recorder.put("w.1", {"queue": "vaccine", "entered_at": at, "outcome": "ongoing"})
    await asyncio.sleep(0)  # the writer took the batch; it is being written
    recorder.put("w.2", {"queue": "vaccine", "entered_at": at, "outcome": "ongoing"})
    await recorder.flush()
    async with sessions() as s:
        assert (await get_call(s, "w.1")) is not None
        assert (await get_call(s, "w.2")) is not None
    await recorder.close()


async def test_the_board_reload_writes_waiting_records_first(sessions):
    """A call this server recorded but not yet written is on the board after a reload (the
    board reloads on a resync or a link back up; without the flush it would read without it)."""
    recorder = _recorder(sessions)
    recorder.start()
    settings = make_settings()
    tracker = Tracker(short_abandon_seconds=settings.short_abandon_seconds)
    board = BoardService(settings, sessions, tracker, flush_records=recorder.flush)
    at = dt.datetime.now(dt.UTC)
    recorder.put(
        "r.1",
        {"queue": "vaccine", "entered_at": at, "answered_at": at, "ended_at": at,
         "outcome": "answered", "hold_seconds": 2.0, "talk_seconds": 30.0},
    )  # fmt: skip
    await board.reload_calls()
    assert "r.1" in board.today.records
    assert board.today.records["r.1"].outcome == "answered"
    await board.close()
    await recorder.close()


async def test_upsert_calls_writes_as_one_upsert_per_call(sessions):
    """Calls grouped by the fields given: the same records as ``upsert_call`` one by one,
    a final outcome kept against a late ``ongoing``, a first entry time never rewritten."""
    at = dt.datetime(2026, 12, 5, 1, 0, tzinfo=dt.UTC)
    later = at + dt.timedelta(minutes=1)
    first = {
        "u.1": {"queue": "vaccine", "entered_at": at, "outcome": "ongoing"},
        "u.2": {"queue": "vaccine", "entered_at": at, "outcome": "abandoned", "ended_at": later},
        "u.3": {"caller_raw": "0773621234", "caller_e164": "+81773621234", "entered_at": at,
                "outcome": "ongoing", "recovered": True},
    }  # fmt: skip
    second = {
        "u.1": {"answered_at": later, "extension": "1001", "hold_seconds": 4.0},
        "u.2": {"queue": "vaccine", "entered_at": later, "outcome": "ongoing"},
        "u.4": {"queue": "vaccine", "entered_at": later, "outcome": "ongoing"},
    }
    async with sessions() as s:
        for batch in (first, second):
            await upsert_calls(s, batch)
        await s.commit()
    async with sessions() as s:
        grouped = {lid: await get_call(s, lid) for lid in ("u.1", "u.2", "u.3", "u.4")}
    async with sessions() as s:
        for batch in (first, second):
            for lid, fields in batch.items():
                await upsert_call(s, f"{lid}.one", **fields)
        await s.commit()
    async with sessions() as s:
        for lid, rec in grouped.items():
            one = await get_call(s, f"{lid}.one")
            assert dataclasses.replace(one, linkedid=lid, updated_at=rec.updated_at) == rec
    assert grouped["u.2"].outcome == "abandoned"
    assert grouped["u.2"].entered_at == at
    assert grouped["u.1"].extension == "1001"
    assert grouped["u.3"].recovered is True
