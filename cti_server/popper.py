"""Screen-pop service: per-call caller lookup (started at first sight, cached) and pop routing.

``Popper.on_event`` takes domain events in order and is synchronous and cheap: the caller number
is normalized at first sight and the ledger lookup runs in a task, so the result is usually ready
when an agent rings. A pop goes only to the extension(s) ringing or connected, through ``send``;
call records leave through ``record`` (queued by the caller, written off the hot path).
A withheld caller is never shown: no number, no name, no lookup, and nothing stored but the fact.
"""

from __future__ import annotations

import asyncio
import collections
import datetime as dt
import logging
import time
import zoneinfo
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field, replace
from typing import Any

from cti_server import protocol
from cti_server.config import Settings
from cti_server.domain import events as ev
from registry.matching import HouseholdMatch, ResidentMatch
from registry.phone import normalize_caller_id

log = logging.getLogger(__name__)

Lookup = Callable[[str], Awaitable[list[HouseholdMatch]]]
Send = Callable[[str, protocol.ScreenPop], None]
Record = Callable[[str, dict[str, Any]], None]
LIVE = ("ringing", "answered")


def age_on(birth: dt.date | None, today: dt.date) -> int | None:
    if birth is None:
        return None
    return today.year - birth.year - ((today.month, today.day) < (birth.month, birth.day))


def candidate_of(m: ResidentMatch, today: dt.date) -> protocol.Candidate:
    return protocol.Candidate(
        resident_id=m.resident_id,
        name=m.name,
        name_kana=m.name_kana,
        birth_date=m.birth_date.isoformat() if m.birth_date else None,
        age=age_on(m.birth_date, today),
        sex=m.sex,
        address=m.address,
        household_id=m.household_id,
        score=float(m.score),
        reasons=tuple(m.reasons),
    )


def groups_of(matches: list[HouseholdMatch], today: dt.date) -> tuple[protocol.HouseholdGroup, ...]:
    return tuple(
        protocol.HouseholdGroup(
            household_id=h.household_id,
            household_no=h.household_no,
            address=h.address,
            members=tuple(candidate_of(m, today) for m in h.members),
        )
        for h in matches
    )


def _iso(t: dt.datetime | None) -> str | None:
    return t.astimezone(dt.UTC).isoformat() if t else None


@dataclass
class LiveCall:
    linkedid: str
    queue: str = ""
    state: str = "queued"
    entered_at: dt.datetime | None = None
    answered_at: dt.datetime | None = None
    ended_at: dt.datetime | None = None
    outcome: str = ""
    extension: str | None = None
    caller: protocol.CallerInfo | None = None
    withheld: bool = False
    households: tuple[protocol.HouseholdGroup, ...] = ()
    lookup_error: str = ""
    lookup: asyncio.Task[None] | None = None
    waiter: asyncio.Task[None] | None = None
    ringing: set[str] = field(default_factory=set)
    pending: set[str] = field(default_factory=set)
    notified: set[str] = field(default_factory=set)
    wait_seconds: float = 0.0
    left_queue: bool = False


class Popper:
    def __init__(
        self,
        settings: Settings,
        lookup: Lookup,
        send: Send,
        record: Record,
        *,
        on_lookup_time: Callable[[float], None] | None = None,
    ) -> None:
        self.settings = settings
        self._lookup = lookup
        self._send = send
        self._record = record
        self._on_lookup_time = on_lookup_time
        self._tz = zoneinfo.ZoneInfo(settings.timezone)
        self.calls: dict[str, LiveCall] = {}
        self._ended: collections.OrderedDict[str, None] = collections.OrderedDict()
        self._tasks: set[asyncio.Task[None]] = set()
        self.new_calls = 0
        self.pops_sent = 0

    # ----------------------------------------------------------------- events in

    def on_event(self, e: Any) -> None:
        handler = getattr(self, f"_on_{type(e).__name__}", None)
        if handler is not None:
            handler(e)

    def _call(self, linkedid: str, at: dt.datetime) -> LiveCall | None:
        if not linkedid or linkedid in self._ended:
            return None
        call = self.calls.get(linkedid)
        if call is None:
            call = self.calls[linkedid] = LiveCall(linkedid, entered_at=at)
            self.new_calls += 1
            self._record(linkedid, {"entered_at": at, "outcome": "ongoing"})
        return call

    def _on_CallerIdentified(self, e: ev.CallerIdentified) -> None:
        call = self._call(e.linkedid, e.at)
        if call:
            self._identify(call, e.number, e.name, e.presentation, e.withheld)

    def _on_CallQueued(self, e: ev.CallQueued) -> None:
        call = self._call(e.linkedid, e.at)
        if call is None:
            return
        call.queue = e.queue
        self._record(call.linkedid, {"queue": e.queue, "entered_at": call.entered_at})
        self._identify(call, e.number, e.name, e.presentation, e.withheld)

    def _on_QueueEntrySeen(self, e: ev.QueueEntrySeen) -> None:
        fresh = e.linkedid not in self.calls
        call = self._call(e.linkedid, e.at - dt.timedelta(seconds=e.wait_seconds))
        if call is None:
            return
        call.queue = call.queue or e.queue
        if fresh:
            self._record(call.linkedid, {"queue": e.queue, "entered_at": call.entered_at})
        withheld = e.number.strip().lower() == "anonymous"
        self._identify(call, e.number, e.name, "", withheld)

    def _on_AgentRinging(self, e: ev.AgentRinging) -> None:
        call = self._call(e.linkedid, e.at)
        ext = self.settings.extension_of(e.interface, e.member_name)
        if call is None or ext is None:
            if ext is None:
                log.warning("call %s: no extension in member %r", e.linkedid, e.interface)
            return
        call.queue = call.queue or e.queue
        if call.caller is None or e.withheld:  # first seen ringing (e.g. after a reconnect)
            self._identify(call, e.number, e.name, e.presentation, e.withheld)
        call.ringing.add(ext)
        if call.state == "queued":
            call.state, call.extension = "ringing", ext
        self._push(call, {ext})

    def _on_AgentNoAnswer(self, e: ev.AgentNoAnswer) -> None:
        call = self.calls.get(e.linkedid)
        ext = self.settings.extension_of(e.interface, e.member_name)
        if call is None or ext is None or ext not in call.ringing:
            return
        call.ringing.discard(ext)
        if call.state == "ringing" and call.extension == ext:
            call.state = "ringing" if call.ringing else "queued"
            call.extension = next(iter(call.ringing), None)
        self._push(call, {ext})  # the missed operator sees it is no longer theirs

    def _on_CallAnswered(self, e: ev.CallAnswered) -> None:
        call = self._call(e.linkedid, e.at)
        ext = self.settings.extension_of(e.interface, e.member_name)
        if call is None:
            return
        if call.caller is None or e.withheld:
            self._identify(call, e.number, e.name, e.presentation, e.withheld)
        call.state, call.extension, call.answered_at = "answered", ext, e.at
        call.wait_seconds = e.hold_seconds
        targets = set(call.ringing) | ({ext} if ext else set())
        call.ringing.clear()
        self._record(
            call.linkedid,
            {
                "answered_at": e.at,
                "extension": ext,
                "hold_seconds": e.hold_seconds,
                "queue": call.queue or e.queue,
                "outcome": "ongoing",
            },
        )
        self._push(call, targets)

    def _on_CallAbandoned(self, e: ev.CallAbandoned) -> None:
        call = self.calls.get(e.linkedid)
        if call is None:
            return
        short = e.hold_seconds < self.settings.short_abandon_seconds
        call.wait_seconds = e.hold_seconds
        self._end(
            call,
            e.at,
            "short_abandoned" if short else "abandoned",
            {"hold_seconds": e.hold_seconds},
        )

    def _on_CallLeftQueue(self, e: ev.CallLeftQueue) -> None:
        # Asterisk sends QueueCallerLeave before AgentConnect: leaving is not the end
        call = self.calls.get(e.linkedid)
        if call is not None:
            call.left_queue = True

    def _on_CallCompleted(self, e: ev.CallCompleted) -> None:
        call = self.calls.get(e.linkedid)
        if call is not None:
            self._end(call, e.at, "answered", {"talk_seconds": e.talk_seconds})

    def _on_ChannelHungUp(self, e: ev.ChannelHungUp) -> None:
        call = self.calls.get(e.linkedid)
        if call is None or e.uniqueid != e.linkedid:
            return  # only the first (caller) leg ends the call
        if call.answered_at:
            outcome = "answered"
        elif call.queue and not call.left_queue:
            outcome = "abandoned"
        else:
            outcome = "no_agent"  # the queue let it go (timeout, no members) unanswered
        self._end(call, e.at, outcome, {})

    def _on_PbxShutdown(self, e: ev.PbxShutdown) -> None:
        for call in list(self.calls.values()):
            self._end(call, e.at, "answered" if call.answered_at else "no_agent", {})

    _on_PbxBooted = _on_PbxShutdown  # a restart we did not see end: nothing survives it

    # ----------------------------------------------------------------- caller and lookup

    def _identify(
        self, call: LiveCall, number: str, name: str, presentation: str, withheld: bool
    ) -> None:
        if call.withheld:
            return
        cn = normalize_caller_id(number, default_area_code=self.settings.default_area_code)
        if withheld or cn.status == "withheld":
            call.withheld = True
            call.caller = protocol.CallerInfo(status="withheld")
            call.households, call.lookup_error = (), ""
            if call.lookup:
                call.lookup.cancel()
            self._record(
                call.linkedid,
                {
                    "caller_raw": number if cn.status == "withheld" else "",
                    "caller_name_raw": "",
                    "presentation": presentation,
                    "caller_status": "withheld",
                    "caller_e164": "",  # "" overwrites; None would not
                },
            )
            return
        if call.caller is not None and (cn.status != "number" or call.caller.e164 == cn.e164):
            return  # first sight wins; a placeholder is replaced by a real number
        shown = "" if name.strip().lower() in ("", "<unknown>", "unknown", "anonymous") else name
        call.caller = protocol.CallerInfo(
            status=cn.status,
            e164=cn.e164,
            display=cn.national if cn.e164 else "",
            kind=cn.kind,
            name=shown if cn.status == "number" else "",
        )
        self._record(
            call.linkedid,
            {
                "caller_raw": number,
                "caller_name_raw": name,
                "presentation": presentation,
                "caller_status": cn.status,
                "caller_e164": cn.e164,
            },
        )
        if cn.e164 and call.lookup is None:
            call.lookup = self._spawn(self._run_lookup(call, cn.e164))

    async def _run_lookup(self, call: LiveCall, e164: str) -> None:
        t0 = time.perf_counter()
        try:
            matches = await asyncio.wait_for(
                self._lookup(e164), self.settings.lookup_timeout_seconds
            )
        except TimeoutError:
            call.lookup_error = "timeout"
            log.warning("call %s: ledger lookup timed out", call.linkedid)
            return
        except Exception as err:
            call.lookup_error = "unavailable"
            log.warning("call %s: ledger lookup failed: %r", call.linkedid, err)
            return
        finally:
            if self._on_lookup_time:
                self._on_lookup_time(time.perf_counter() - t0)
        if call.withheld:
            return
        call.households = groups_of(matches, dt.datetime.now(self._tz).date())
        members = [m for h in matches for m in h.members]
        self._record(
            call.linkedid,
            {
                "match_count": len(members),
                "matched_resident_id": members[0].resident_id if len(members) == 1 else None,
            },
        )

    # ----------------------------------------------------------------- pops out

    def pop_of(self, call: LiveCall) -> protocol.ScreenPop:
        wait = call.wait_seconds
        return protocol.ScreenPop(
            call=protocol.CallInfo(
                linkedid=call.linkedid,
                queue=call.queue,
                state=call.state,
                entered_at=_iso(call.entered_at),
                answered_at=_iso(call.answered_at),
                ended_at=_iso(call.ended_at),
                outcome=call.outcome,
                extension=call.extension,
                wait_seconds=wait,
            ),
            caller=call.caller or protocol.CallerInfo(status="unavailable"),
            households=call.households,
            lookup_error=call.lookup_error,
        )

    def _push(self, call: LiveCall, extensions: set[str]) -> None:
        if call.lookup is not None and not call.lookup.done():
            call.pending |= extensions
            if call.waiter is None:
                call.waiter = self._spawn(self._push_when_ready(call))
            return
        pop = self.pop_of(call)
        for ext in sorted(extensions | call.pending):
            call.notified.add(ext)
            self.pops_sent += 1
            self._send(ext, pop)
        call.pending.clear()

    async def _push_when_ready(self, call: LiveCall) -> None:
        if call.lookup is not None:
            await asyncio.wait({call.lookup})
        call.waiter = None
        self._push(call, set())

    def _end(self, call: LiveCall, at: dt.datetime, outcome: str, extra: dict[str, Any]) -> None:
        if call.state == "ended":
            return
        call.state, call.ended_at, call.outcome = "ended", at, outcome
        targets = call.notified | call.ringing | ({call.extension} if call.extension else set())
        self._record(call.linkedid, {"ended_at": at, "outcome": outcome, **extra})
        self._push(call, {t for t in targets if t})
        del self.calls[call.linkedid]
        self._ended[call.linkedid] = None
        while len(self._ended) > 10_000:
            self._ended.popitem(last=False)

    def current_pops(self, extension: str) -> list[protocol.ScreenPop]:
        """Live pops for ``extension`` (a reconnecting operator gets its call back)."""
        return [
            self.pop_of(c)
            for c in self.calls.values()
            if c.state in LIVE and (c.extension == extension or extension in c.ringing)
        ]

    def _spawn(self, coro: Awaitable[None]) -> asyncio.Task[None]:
        task: asyncio.Task[None] = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    async def close(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)


def redact(pop: protocol.ScreenPop) -> protocol.ScreenPop:
    """A pop with the caller cleared (belt and braces for a withheld caller)."""
    return replace(pop, caller=protocol.CallerInfo(status="withheld"), households=())
