"""The supervisor board service: live queues and agents, today's figures, bookings; pushed.

``BoardService`` keeps the board current from three sources and pushes ``BoardUpdate`` to the
sockets that subscribed (supervisor, admin, kiosk; an operator is refused with ``forbidden``;
a kiosk, a wallboard on a TV with a token that does not expire, gets the waiting callers'
numbers masked but for their last four digits):

- the live ``Tracker``: every change it reports (``on_changes``: ``CallService`` hands each of
  its listeners what ``Tracker.apply`` returned) updates today's records and
  marks the board dirty; a link coming back up or a completed AMI resync reloads today's call
  records from the database (calls seen meanwhile by another instance count too);
- the database (``registry``): today's call records at start (so a restart loses nothing already
  recorded), at local midnight and after a resync (once the call recorder has written what it
  holds: ``flush_records``); bookings fill, open mobility requests,
  the residents by the channel of their latest intent answer and the designated appointments
  (assigned per venue and day, to assign, cannot assign: ``AssignmentFigures``) at start, at
  midnight, every ``tally_seconds`` (the reception tally: per venue and slot, booked / checked
  in / not yet / no-show, ``Board.checkins``) and whenever ``bookings_changed`` is called
  (``web.slots.publish_changes``
  calls it once a request's registry changes are committed, the bus when another instance
  made some); the figures over the whole ledger (intents by channel, designated appointments:
  a second or so on 300,000 residents) are reread by ``bookings_changed`` at most every
  ``ledger_interval`` seconds (a change within it is counted once it has passed); a check-in
  here only adds one to its slot's tally in memory (``checked_in``: a venue scanning hundreds a
  second rereads nothing); ``reload_calls`` also follows the call service closing stale records;
- who is logged in where: ``operator_name(extension)`` names the operator account on an
  extension (the hub knows it); ``presence_changed`` marks the board dirty when that changes;
- an injectable ``clock`` (aware datetimes): "today" is the local day in ``settings.timezone``.

The board itself is computed by the pure ``cti_server.domain.board``. Pushes are coalesced: the
first change after a quiet spell goes out at once, later ones at most every ``min_interval``
seconds (150 ms: a change waits at most that long, and a supervisor gets at most about 7 updates
a second however busy the queues are; ``bench/bench_board.py``), and a board identical to the
last one is not sent. Between pushes, clients tick
waiting and in-state times on from the timestamps in the board.

``PauseAgent`` (supervisor, admin) becomes ``bridge.queue_pause``; refusals come back to the
sender as ``ErrorMessage`` (``forbidden``, ``bad_message``, ``ami_unavailable``,
``pause_failed``). The web glue (socket messages, the wallboard page) is ``web/board_app.py``.
"""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import json
import logging
from collections.abc import Awaitable, Callable, Coroutine, Iterable
from typing import Any, Protocol

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from cti_server import protocol
from cti_server.config import Settings
from cti_server.domain.board.assignment import assignment_figures
from cti_server.domain.board.build import build_board
from cti_server.domain.board.checkins import venue_checkins
from cti_server.domain.board.records import record_from_call, record_from_stored
from cti_server.domain.board.today import TodayRecords
from cti_server.domain.calls import Call, Caller
from cti_server.domain.changes import CallChanged, Change, LinkChanged
from cti_server.domain.figures import FigureSettings
from cti_server.domain.tracker import Tracker
from cti_server.metrics import Metrics
from registry import figures as stored_figures
from registry.calls import calls_between
from registry.normalize.phone import normalize_caller_id
from registry.venue_day import SlotTally, tally
from registry.worklist import summary as worklist_summary

log = logging.getLogger(__name__)

BOARD_ROLES = ("supervisor", "admin", "kiosk")
NUMBER_ROLES = ("supervisor", "admin")  # see waiting callers' numbers whole (a kiosk: masked)
PAUSE_ROLES = ("supervisor", "admin")
MAX_REASON = 64
PAUSE_TIMEOUT = 5.0
FLUSH_TIMEOUT = 5.0  # seconds a reload of the call records waits for the recorder


class Subscriber(Protocol):
    """A socket the board is pushed to (``web.hub.Client``)."""

    dropped: bool

    def offer(self, text: str) -> bool: ...


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def no_operator(extension: str) -> str | None:
    return None


class BoardService:
    def __init__(
        self,
        settings: Settings,
        sessions: async_sessionmaker[AsyncSession],
        tracker: Tracker,
        *,
        bridge: Callable[[], Any] = lambda: None,
        operator_name: Callable[[str], str | None] = no_operator,
        metrics: Metrics | None = None,
        clock: Callable[[], dt.datetime] = utc_now,
        min_interval: float = 0.15,
        booking_days: int = 7,
        tally_seconds: float = 60.0,
        bookings_interval: float = 1.0,
        ledger_interval: float = 10.0,
        flush_records: Callable[[], Awaitable[None]] | None = None,
    ) -> None:
        self.settings = settings
        self.flush_records = flush_records  # the call recorder's: records waiting are written
        self.sessions = sessions
        self.tracker = tracker
        self.bridge = bridge
        self.operator_name = operator_name
        self.metrics = metrics
        self.clock = clock
        self.min_interval = min_interval
        self.booking_days = booking_days
        self.tally_seconds = tally_seconds
        self.bookings_interval = bookings_interval  # rereads under a stream of writes, at most
        self.ledger_interval = ledger_interval  # rereads of the whole-ledger figures, at most
        self._ledger_read_at: float | None = None  # loop time of their last read
        self.figure_settings = FigureSettings(
            service_level_seconds=settings.service_level_seconds,
            short_abandon_seconds=settings.short_abandon_seconds,
            tz=settings.timezone,
            service_level_formula=settings.service_level_formula,
        )
        self.zone = self.figure_settings.zone()
        self.today = TodayRecords(self.figure_settings, self._local_day())
        self.subscribers: dict[Subscriber, bool] = {}  # socket -> sees callers' numbers whole
        self.bookings: tuple[protocol.VenueFill, ...] = ()
        self.mobility_open = 0
        self.intents: protocol.IntentsByChannel | None = None
        self.checkins: tuple[protocol.VenueCheckins, ...] = ()  # today's reception tally
        self._tally_rows: list[SlotTally] = []  # what it was built from, per slot
        self._added = 0  # check-ins added to it in memory (a reread may have missed them)
        self.worklist: protocol.WorklistSummary | None = None
        self.assignment: protocol.AssignmentFigures | None = None
        self.link_down_since: dt.datetime | None = None
        self.pushes = 0
        self._last_resync = tracker.last_resync
        self._last_sent: protocol.Board | None = None
        self._encoded: dict[str, tuple[object, list[Any]]] = {}  # queue -> (intervals, JSON)
        self._last_push = -1e9
        self._flush_handle: asyncio.TimerHandle | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._midnight: asyncio.Task[None] | None = None
        self._tally: asyncio.Task[None] | None = None
        self._bookings_task: asyncio.Task[None] | None = None
        self._bookings_again = False

    # ----------------------------------------------------------------- life
    async def start(self) -> None:
        await self.reload_calls()
        await self.reload_bookings()
        self._midnight = asyncio.create_task(self._midnight_loop(), name="board-midnight")
        self._tally = asyncio.create_task(self._tally_loop(), name="board-tally")

    async def close(self) -> None:
        if self._flush_handle is not None:
            self._flush_handle.cancel()
        if self._midnight is not None:
            self._midnight.cancel()
        if self._tally is not None:
            self._tally.cancel()
        tasks = [*self._tasks, *([self._midnight] if self._midnight else [])]
        tasks += [self._tally] if self._tally else []
        if self._tasks:  # reloads are short: let them finish their query (no half-closed DB)
            await asyncio.wait(list(self._tasks), timeout=2.0)
        for t in tasks:
            t.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        self.subscribers.clear()

    # ----------------------------------------------------------------- in
    def on_changes(self, changes: list[Change]) -> None:
        """What ``Tracker.apply`` returned; cheap, synchronous, never raises into the caller."""
        try:
            reload = False
            for ch in changes:
                if isinstance(ch, CallChanged):
                    self._put_call(ch.call)
                elif isinstance(ch, LinkChanged):
                    self.link_down_since = None if ch.connected else self.clock()
                    reload = reload or ch.connected
            resync = self.tracker.last_resync
            if resync is not self._last_resync:
                self._last_resync, reload = resync, True
            if reload:
                self._spawn(self.reload_calls(), "board-reload-calls")
            self.mark_dirty()
        except Exception:
            log.exception("board: could not take tracker changes")

    def _put_call(self, call: Call) -> None:
        ext = ""
        if call.agent_interface:
            ext = self.settings.extension_of(call.agent_interface, call.agent_name) or ""
        stored = self.today.records.get(call.linkedid)
        entered = stored.entered_at if stored is not None else None
        rec = record_from_call(call, ext or call.agent_interface, entered)
        if rec is not None:
            self.today.put(rec)

    def bookings_changed(self) -> None:
        """Reread bookings and the reception tally soon. Coalesced: while a reread is running,
        further calls make one more after it, at least ``bookings_interval`` later, not one
        each (a venue scanning 200 residents a second must not start 200 rereads)."""
        if self._bookings_task is not None and not self._bookings_task.done():
            self._bookings_again = True
            return
        self._bookings_task = asyncio.get_running_loop().create_task(
            self._reload_coalesced(), name="board-reload-bookings"
        )
        self._tasks.add(self._bookings_task)
        self._bookings_task.add_done_callback(self._tasks.discard)

    @property
    def rereading(self) -> bool:
        """A reread of the bookings is under way or due (what is held may be behind)."""
        return self._bookings_task is not None and not self._bookings_task.done()

    def checked_in(self, slot_ids: Iterable[int]) -> None:
        """Residents were checked in here, one per slot id given (committed): the tally adds
        them in memory and is pushed, without rereading the day's bookings. A slot the tally
        does not hold yet (or a reread under way, which may have read before the check-in)
        makes a reread instead (``bookings_changed``)."""
        rows = {r.slot_id: i for i, r in enumerate(self._tally_rows)}
        ids = list(slot_ids)
        if self.rereading or not ids or any(i not in rows for i in ids):
            self.bookings_changed()
            return
        now = self.clock()
        for slot_id in ids:
            r = self._tally_rows[rows[slot_id]]
            came = r.checked_in + 1
            ended = r.ends_at <= now
            self._tally_rows[rows[slot_id]] = dataclasses.replace(
                r,
                checked_in=came,
                not_yet=0 if ended else max(r.booked - came, 0),
                no_show=max(r.booked - came, 0) if ended else 0,
            )
        self._added += len(ids)
        self.checkins = venue_checkins(self._tally_rows, self.today.day)
        self.mark_dirty()

    async def _reload_coalesced(self) -> None:
        while True:
            self._bookings_again = False
            ledger = self._ledger_wait() <= 0
            await self.reload_bookings(ledger=ledger)
            if self._bookings_again:
                await asyncio.sleep(max(self.min_interval, self.bookings_interval))
            elif ledger:
                return
            else:  # the whole-ledger figures once their interval has passed
                await asyncio.sleep(max(self.min_interval, self._ledger_wait()))

    def _ledger_wait(self) -> float:
        """Seconds until the whole-ledger figures may be reread (<= 0: now)."""
        if self._ledger_read_at is None:
            return 0.0
        return self._ledger_read_at + self.ledger_interval - asyncio.get_running_loop().time()

    def presence_changed(self) -> None:
        """An operator logged in or out on some extension: names on the board may change."""
        self.mark_dirty()

    # ----------------------------------------------------------------- database
    async def reload_calls(self) -> None:
        """Reread today's call records, once those waiting in the recorder are written."""
        self.check_day()
        day = self.today.day
        try:
            if self.flush_records is not None:
                async with asyncio.timeout(FLUSH_TIMEOUT):
                    await self.flush_records()
        except TimeoutError:  # the database is away: the read below says so
            log.warning("board: call records still waiting to be written; reloading anyway")
        try:
            async with self.sessions() as session:
                views = await calls_between(session, self.today.start, self.today.end)
            stored = [r for v in views if (r := record_from_stored(v)) is not None]
        except Exception:
            log.exception("board: could not read today's call records")
            return
        if day == self.today.day:
            self.today.load(stored)
            log.info("board: %d call records of %s loaded", len(stored), day)
        self.mark_dirty()

    async def reload_bookings(self, *, ledger: bool = True) -> None:
        """Reread the stored figures; with ``ledger`` False not those over the whole ledger
        (intents by channel, designated appointments): they keep their last values."""
        tz = self.settings.timezone
        added = self._added
        try:
            async with self.sessions() as session:
                fill = await stored_figures.bookings_fill(
                    session, self.today.day, self.booking_days, tz
                )
                n_open = await stored_figures.open_mobility_requests(session)
                day = self.today.day
                rows = await tally(session, day=day, tz=tz, now=self.clock())
                waiting = await worklist_summary(session)
                if ledger:
                    read_at = asyncio.get_running_loop().time()
                    by_channel = await stored_figures.intents_by_channel(session)
                    assigned = await stored_figures.assigned_by_day(session, day, tz)
                    to_assign = await stored_figures.assignment_status(session)
        except Exception:
            log.exception("board: could not read bookings")
            return
        self.bookings = tuple(
            protocol.VenueFill(f.venue_id, f.venue, f.day.isoformat(), f.capacity, f.booked)
            for f in fill
        )
        self.mobility_open = n_open
        if ledger:
            self._ledger_read_at = read_at
            self.intents = protocol.IntentsByChannel(
                by_channel.postcard, by_channel.web, by_channel.phone, by_channel.none_yet
            )
            self.assignment = assignment_figures(to_assign, assigned)
        self._tally_rows = list(rows) if day == self.today.day else []
        self.checkins = venue_checkins(rows, day)
        if self._added != added:  # check-ins added while reading: the rows may lack them
            self.bookings_changed()
        self.worklist = protocol.WorklistSummary(
            waiting.open,
            waiting.due,
            waiting.claimed,
            None if waiting.oldest_created_at is None else waiting.oldest_created_at.isoformat(),
        )
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

    async def _tally_loop(self) -> None:
        """Reread the bookings and the reception tally every ``tally_seconds``: a slot that
        ends turns its residents not yet checked in into no-shows without any write."""
        while True:
            await asyncio.sleep(self.tally_seconds)
            await self.reload_bookings()

    async def _midnight_loop(self) -> None:
        while True:
            now = self.clock().astimezone(self.zone)
            nxt = dt.datetime.combine(now.date() + dt.timedelta(days=1), dt.time(), self.zone)
            await asyncio.sleep(min(300.0, max(0.05, (nxt - now).total_seconds() + 0.01)))
            if self.check_day():
                await self.reload_calls()
                await self.reload_bookings()

    # ----------------------------------------------------------------- out
    def snapshot(self) -> protocol.Board:
        if self.check_day():
            self._spawn(self.reload_calls(), "board-reload-calls")
            self._spawn(self.reload_bookings(), "board-reload-bookings")
        return build_board(
            self.tracker, self.today, self.clock(), self.settings.extension_of,
            operator_name=self.operator_name, caller_of=self.caller_of,
            link_down_since=self.link_down_since, bookings=self.bookings,
            mobility_open=self.mobility_open, intents=self.intents, checkins=self.checkins,
            worklist=self.worklist, assignment=self.assignment,
        )  # fmt: skip

    def caller_of(self, caller: Caller) -> tuple[str, str]:
        """(status, national display number) of a waiting caller; never a withheld number."""
        if caller.withheld:
            return "withheld", ""
        area = self.settings.default_area_code
        cn = normalize_caller_id(caller.raw_number, default_area_code=area)
        return cn.status, cn.national if cn.status == "number" else ""

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

    def send(self, board: protocol.Board) -> int:
        """Encode once (and once more with the callers' numbers masked, when a kiosk
        subscribed), offer the same text to every subscriber."""
        texts: dict[bool, str] = {}
        sent = 0
        for client, numbers in list(self.subscribers.items()):
            if client.dropped:
                del self.subscribers[client]
                continue
            if numbers not in texts:
                texts[numbers] = self.encode(board if numbers else numbers_masked(board))
            if client.offer(texts[numbers]):
                sent += 1
        self.pushes += 1
        if self.metrics is not None:
            self.metrics.board_pushes.inc()
        return sent

    # ----------------------------------------------------------------- clients
    def subscribe(self, client: Subscriber, role: str) -> protocol.ErrorMessage | None:
        if role not in BOARD_ROLES:
            return protocol.ErrorMessage(error="forbidden", message="the board is for supervisors")
        numbers = self.subscribers[client] = role in NUMBER_ROLES
        board = self.snapshot()
        client.offer(self.encode(board if numbers else numbers_masked(board)))
        return None

    def unsubscribe(self, client: Subscriber) -> None:
        self.subscribers.pop(client, None)

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

    def _spawn(self, coro: Coroutine[Any, Any, None], name: str) -> None:
        task = asyncio.get_running_loop().create_task(coro, name=name)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def encode(self, board: protocol.Board) -> str:
        """``protocol.encode(BoardUpdate(board=board))``, the same text; the intervals of a
        queue (most of the board, and the same tuple until the queue or the interval changes)
        are turned into JSON data once, not on every push."""
        queues = []
        for q in board.queues:
            hit = self._encoded.get(q.name)
            if hit is None or hit[0] is not q.intervals:
                hit = self._encoded[q.name] = (q.intervals, protocol.to_dict(q.intervals))
            queues.append(protocol.to_dict(dataclasses.replace(q, intervals=())))
            queues[-1]["intervals"] = hit[1]
        data = protocol.to_dict(dataclasses.replace(board, queues=()))
        data["queues"] = queues
        return json.dumps(
            {"type": protocol.BoardUpdate.type, "board": data},
            ensure_ascii=False,
            separators=(",", ":"),
        )


def masked_number(number: str) -> str:
    """All but the last four digits starred, separators kept: ``070-5956-7647`` ->
    ``***-****-7647`` (enough to tell two waiting callers apart, not to call one back)."""
    digits = sum(ch.isdigit() for ch in number)
    out, seen = [], 0
    for ch in number:
        if ch.isdigit():
            seen += 1
            ch = ch if seen > digits - 4 else "*"
        out.append(ch)
    return "".join(out)


def numbers_masked(board: protocol.Board) -> protocol.Board:
    """The board for a kiosk (a wallboard on a TV, with a token that does not expire): the
    waiting callers' numbers masked (``masked_number``)."""
    queues = tuple(
        dataclasses.replace(q, callers=tuple(
            dataclasses.replace(c, number=masked_number(c.number)) for c in q.callers
        ))
        if any(c.number for c in q.callers) else q
        for q in board.queues
    )  # fmt: skip
    return dataclasses.replace(board, queues=queues)


def _has_break(msg: protocol.PauseAgent) -> bool:
    return any(c in s for s in (msg.interface, msg.reason, msg.queue) for c in "\r\n")


def _same(a: protocol.Board, b: protocol.Board) -> bool:
    """Equal apart from the timestamp and what only ticks with it (clients tick those)."""

    def strip(board: protocol.Board) -> protocol.Board:
        qs = tuple(dataclasses.replace(q, longest_wait=0.0) for q in board.queues)
        return dataclasses.replace(board, at="", queues=qs)

    return strip(a) == strip(b)
