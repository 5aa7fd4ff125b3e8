"""The supervisor board service: live queues and agents, today's figures, bookings; pushed.

``BoardService`` keeps the board current from three sources and pushes ``BoardUpdate`` to the
sockets that subscribed (supervisor, admin, kiosk; an operator is refused with ``forbidden``):

- the live ``Tracker``: every change it reports (``on_changes``, called by
  ``CallService.on_event`` with what ``Tracker.apply`` returned) updates today's records and
  marks the board dirty; a link coming back up or a completed AMI resync reloads today's call
  records from the database (calls seen meanwhile by another instance count too);
- the database: today's call records at start (so a restart loses nothing already recorded),
  at local midnight and after a resync; bookings fill and open mobility requests at start, at
  midnight and after any successful write to the booking/mobility/venue/slot routes;
- an injectable ``clock`` (aware datetimes): "today" is the local day in ``settings.timezone``.

Pushes are coalesced: the first change after a quiet spell goes out at once, later ones at
most every ``min_interval`` seconds, and a board identical to the last one is not sent. Between
pushes, clients tick waiting and in-state times on from the timestamps in the board.

``PauseAgent`` (supervisor, admin) becomes ``bridge.queue_pause``; refusals come back to the
sender as ``ErrorMessage`` (``forbidden``, ``bad_message``, ``ami_unavailable``,
``pause_failed``). Wiring: ``board_context`` (an app cleanup context placed after the call
service and before the bridge) and ``add_board_routes`` (the wallboard page), in ``board_app``.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import logging
from collections.abc import Callable
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from cti_server import protocol
from cti_server.config import Settings
from cti_server.domain.changes import CallChanged, LinkChanged
from cti_server.domain.figures import FigureSettings
from cti_server.web import board_db
from cti_server.web.board_build import build_board
from cti_server.web.board_figures import TodayRecords, record_from_call

log = logging.getLogger(__name__)

BOARD_ROLES = ("supervisor", "admin", "kiosk")
PAUSE_ROLES = ("supervisor", "admin")
MAX_REASON = 64
PAUSE_TIMEOUT = 5.0


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class BoardService:
    def __init__(
        self,
        settings: Settings,
        sessions: async_sessionmaker[AsyncSession],
        tracker: Any,
        *,
        bridge: Callable[[], Any] = lambda: None,
        clock: Callable[[], dt.datetime] = utc_now,
        min_interval: float = 0.25,
        booking_days: int = 7,
    ) -> None:
        self.settings = settings
        self.sessions = sessions
        self.tracker = tracker
        self.bridge = bridge
        self.clock = clock
        self.min_interval = min_interval
        self.booking_days = booking_days
        self.figure_settings = FigureSettings(
            service_level_seconds=settings.service_level_seconds,
            short_abandon_seconds=settings.short_abandon_seconds,
            tz=settings.timezone,
        )
        self.zone = self.figure_settings.zone()
        self.today = TodayRecords(self.figure_settings, self._local_day())
        self.subscribers: set[Any] = set()  # hub clients (anything with .offer(text))
        self.bookings: list[dict[str, Any]] = []
        self.mobility_open = 0
        self.link_down_since: dt.datetime | None = None
        self.pushes = 0
        self._last_resync = getattr(tracker, "last_resync", None)
        self._last_sent: dict[str, Any] | None = None
        self._last_push = -1e9
        self._flush_handle: asyncio.TimerHandle | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._midnight: asyncio.Task[None] | None = None

    # ----------------------------------------------------------------- life
    async def start(self) -> None:
        await self.reload_calls()
        await self.reload_bookings()
        self._midnight = asyncio.create_task(self._midnight_loop(), name="board-midnight")

    async def close(self) -> None:
        if self._flush_handle is not None:
            self._flush_handle.cancel()
        if self._midnight is not None:
            self._midnight.cancel()
        tasks = [*self._tasks, *([self._midnight] if self._midnight else [])]
        if self._tasks:  # reloads are short: let them finish their query (no half-closed DB)
            await asyncio.wait(list(self._tasks), timeout=2.0)
        for t in tasks:
            t.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        self.subscribers.clear()

    # ----------------------------------------------------------------- in
    def on_changes(self, changes: list[Any]) -> None:
        """What ``Tracker.apply`` returned; cheap, synchronous, never raises into the caller."""
        try:
            reload = False
            for ch in changes:
                if isinstance(ch, CallChanged):
                    self._put_call(ch.call)
                elif isinstance(ch, LinkChanged):
                    self.link_down_since = None if ch.connected else self.clock()
                    reload = reload or ch.connected
            resync = getattr(self.tracker, "last_resync", None)
            if resync is not self._last_resync:
                self._last_resync, reload = resync, True
            if reload:
                self._spawn(self.reload_calls(), "board-reload-calls")
            self.mark_dirty()
        except Exception:
            log.exception("board: could not take tracker changes")

    def _put_call(self, call: Any) -> None:
        ext = ""
        if call.agent_interface:
            ext = self.settings.extension_of(call.agent_interface, call.agent_name) or ""
        stored = self.today.records.get(call.linkedid)
        entered = stored.entered_at if stored is not None else None
        rec = record_from_call(call, ext or call.agent_interface, entered)
        if rec is not None:
            self.today.put(rec)

    def bookings_changed(self) -> None:
        self._spawn(self.reload_bookings(), "board-reload-bookings")

    # ----------------------------------------------------------------- database
    async def reload_calls(self) -> None:
        self.check_day()
        day = self.today.day
        try:
            async with self.sessions() as session:
                stored = await board_db.load_day_records(session, self.today.start, self.today.end)
        except Exception:
            log.exception("board: could not read today's call records")
            return
        if day == self.today.day:
            self.today.load(stored)
            log.info("board: %d call records of %s loaded", len(stored), day)
        self.mark_dirty()

    async def reload_bookings(self) -> None:
        try:
            async with self.sessions() as session:
                fill = await board_db.bookings_fill(
                    session, self.today.day, self.booking_days, self.settings.timezone
                )
                n_open = await board_db.open_mobility_requests(session)
        except Exception:
            log.exception("board: could not read bookings")
            return
        self.bookings, self.mobility_open = fill, n_open
        self.mark_dirty()

    # ----------------------------------------------------------------- the day
    def _local_day(self) -> dt.date:
        return self.clock().astimezone(self.zone).date()

    def check_day(self) -> bool:
        """Roll over to a new local day (True when it did); the caller reloads."""
        day = self._local_day()
        if day == self.today.day:
            return False
        log.info("board: day rolled over to %s", day)
        self.today.set_day(day)
        return True

    async def _midnight_loop(self) -> None:
        while True:
            now = self.clock().astimezone(self.zone)
            nxt = dt.datetime.combine(now.date() + dt.timedelta(days=1), dt.time(), self.zone)
            await asyncio.sleep(min(300.0, max(0.05, (nxt - now).total_seconds() + 0.01)))
            if self.check_day():
                await self.reload_calls()
                await self.reload_bookings()

    # ----------------------------------------------------------------- out
    def snapshot(self) -> dict[str, Any]:
        if self.check_day():
            self._spawn(self.reload_calls(), "board-reload-calls")
            self._spawn(self.reload_bookings(), "board-reload-bookings")
        return build_board(
            self.tracker, self.today, self.clock(), self.settings.extension_of,
            link_down_since=self.link_down_since, bookings=self.bookings,
            mobility_open=self.mobility_open,
        )  # fmt: skip

    def mark_dirty(self) -> None:
        if self._flush_handle is not None or not self.subscribers:
            return
        loop = asyncio.get_running_loop()
        delay = max(0.0, self._last_push + self.min_interval - loop.time())
        self._flush_handle = loop.call_later(delay, self._flush)

    def _flush(self) -> None:
        self._flush_handle = None
        self._last_push = asyncio.get_running_loop().time()
        try:
            board = self.snapshot()
        except Exception:
            log.exception("board: building the board failed")
            return
        if self._last_sent is not None and _same(board, self._last_sent):
            return
        self._last_sent = board
        self.send(board)

    def send(self, board: dict[str, Any]) -> int:
        """Encode once, offer the same text to every subscriber."""
        text = encode_board(board)
        sent = 0
        for client in list(self.subscribers):
            if getattr(client, "dropped", False) or getattr(client.ws, "closed", False):
                self.subscribers.discard(client)
            elif client.offer(text):
                sent += 1
        self.pushes += 1
        return sent

    # ----------------------------------------------------------------- clients
    def subscribe(self, client: Any, role: str) -> protocol.ErrorMessage | None:
        if role not in BOARD_ROLES:
            return protocol.ErrorMessage(error="forbidden", message="the board is for supervisors")
        self.subscribers.add(client)
        client.offer(encode_board(self.snapshot()))
        return None

    def unsubscribe(self, client: Any) -> None:
        self.subscribers.discard(client)

    async def pause(self, who: Any, msg: protocol.PauseAgent) -> protocol.ErrorMessage | None:
        """Send ``QueuePause``; None when the PBX accepted it."""
        if who.role not in PAUSE_ROLES:
            return protocol.ErrorMessage(
                error="forbidden", message="pausing agents is for supervisors"
            )
        if not msg.interface or len(msg.reason) > MAX_REASON or _has_break(msg):
            return protocol.ErrorMessage(
                error="bad_message",
                message=f"interface required; reason at most {MAX_REASON} characters, one line",
            )
        bridge = self.bridge()
        if bridge is None or not getattr(bridge, "connected", False):
            return protocol.ErrorMessage(
                error="ami_unavailable", message="the PBX is not connected"
            )
        try:
            await asyncio.wait_for(
                bridge.queue_pause(msg.interface, msg.paused, msg.reason, msg.queue), PAUSE_TIMEOUT
            )
        except Exception as err:
            log.warning("pause of %s by operator %s failed: %r", msg.interface, who.id, err)
            return protocol.ErrorMessage(
                error="pause_failed", message=str(err) or type(err).__name__,
                details={"interface": msg.interface, "paused": msg.paused},
            )  # fmt: skip
        log.info("operator %s %s %s", who.id, "paused" if msg.paused else "unpaused", msg.interface)
        return None

    def _spawn(self, coro: Any, name: str) -> None:
        task = asyncio.get_running_loop().create_task(coro, name=name)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)


def encode_board(board: dict[str, Any]) -> str:
    """``protocol.encode(BoardUpdate(board=board))``, without walking the board through
    ``protocol.to_dict`` (the board is plain JSON data already): the same text, cheaper."""
    return json.dumps(
        {"type": protocol.BoardUpdate.type, "board": board},
        ensure_ascii=False,
        separators=(",", ":"),
    )


def _has_break(msg: protocol.PauseAgent) -> bool:
    return any(c in s for s in (msg.interface, msg.reason, msg.queue) for c in "\r\n")


def _same(a: dict[str, Any], b: dict[str, Any]) -> bool:
    """Equal apart from the timestamp and what only ticks with it (clients tick those)."""

    def strip(board: dict[str, Any]) -> dict[str, Any]:
        qs = [{k: v for k, v in q.items() if k != "longest_wait"} for q in board["queues"]]
        return {**board, "at": None, "queues": qs}

    return strip(a) == strip(b)
