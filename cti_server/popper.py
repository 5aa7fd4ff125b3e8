"""Screen-pop routing: the tracker's call changes in, ``ScreenPop`` to the operators out.

The tracker (``cti_server.domain``) is the one model of a live call; the popper keeps only what
the tracker does not: the ledger lookup of each live call and the extensions it has sent a pop.
``Popper.on_changes`` takes what ``Tracker.apply`` returned, is synchronous and cheap:

- the lookup starts when a call first has a number (caller leg seen, or queue entered), in a task;
- a pop goes to an extension when it starts ringing it; when it rang out or another answered,
  that extension gets one withdrawal (the pop no longer theirs, without the household) and
  nothing more of the call; the answer goes to the answering one, and the end or a change of
  caller or lookup result to every extension that was sent one and not withdrawn; through
  ``send``, at once: a pop sent while the lookup still runs has ``lookup_error = "pending"``,
  and an updated pop follows the moment the lookup is done;
- a withheld caller (``cti_server.caller_id.identify``) is never shown and never looked up.

Lookup results go to the call record through ``record`` (fields by Linkedid); everything else
in the record comes from the same changes (``cti_server.recorder``).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import zoneinfo
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field, replace
from typing import Any

from cti_server import protocol
from cti_server.caller_id import Identity, identify
from cti_server.caller_lookup import Lookup, timed_lookup
from cti_server.config import Settings
from cti_server.domain.calls import Call, CallState
from cti_server.domain.changes import CallChanged, Change
from cti_server.domain.tracker import Tracker
from cti_server.pop_view import PENDING, groups_of, pop_of

log = logging.getLogger(__name__)

Send = Callable[[str, protocol.ScreenPop], None]
Record = Callable[[str, dict[str, Any]], None]
LIVE = (CallState.RINGING, CallState.ANSWERED)


@dataclass(slots=True)
class _Pop:
    """What the popper holds for one live call: its lookup and whom it notified."""

    identity: Identity
    lookup: asyncio.Task[None] | None = None
    households: tuple[protocol.HouseholdGroup, ...] = ()
    lookup_error: str = ""
    pending: bool = False  # the lookup started and is not done
    notified: set[str] = field(default_factory=set)
    withdrawn: set[str] = field(default_factory=set)  # rang and stopped without answering
    repeat_calls: int = 0  # earlier calls from the number today


class Popper:
    def __init__(
        self,
        settings: Settings,
        tracker: Tracker,
        lookup: Lookup,
        send: Send,
        record: Record,
        *,
        on_lookup_time: Callable[[float], None] | None = None,
    ) -> None:
        self.settings = settings
        self._tracker = tracker
        self._lookup = lookup
        self._send = send
        self._record = record
        self._on_lookup_time = on_lookup_time
        self._tz = zoneinfo.ZoneInfo(settings.timezone)
        self._pops: dict[str, _Pop] = {}  # live calls by Linkedid
        self._tasks: set[asyncio.Task[None]] = set()
        self._exts: dict[tuple[str, str], str | None] = {}  # (interface, name) -> extension
        self.pops_sent = 0
        self.uncertain = False  # the PBX link is down: pops say the call may have moved on
        self.pops_before_lookup = 0  # pops sent while the lookup still ran (an update followed)

    # ----------------------------------------------------------------- changes in

    def on_changes(self, changes: Iterable[Change]) -> None:
        for ch in changes:
            if isinstance(ch, CallChanged):
                self.on_call(ch.call, ch.before)

    def on_call(self, call: Call, before: Call | None) -> None:
        if before is not None and not before.live:
            return  # an ended call amended (talk or hold time): the record's business
        entry = self._pops.get(call.linkedid)
        if entry is None:
            if not call.live:
                return  # first seen ended: nobody to tell
            ident = identify(call.caller, self.settings.default_area_code)
            entry = self._pops[call.linkedid] = _Pop(ident)
        caller_changed = False
        if before is not None and before.caller is not call.caller:
            ident = identify(call.caller, self.settings.default_area_code)
            caller_changed = entry.identity.info != ident.info
            entry.identity = ident
        self._look_up(call.linkedid, entry)
        targets = self._targets(call, before, entry, caller_changed)
        withdraw = targets & self._withdrawn(call, before)
        entry.withdrawn |= withdraw
        entry.withdrawn -= self._ringing(call) | ({self._agent(call)} - {None})
        if withdraw:
            self._push(call, entry, withdraw, withdrawal=True)
        if targets - withdraw:
            self._push(call, entry, targets - withdraw)
        if not call.live:
            del self._pops[call.linkedid]

    def _targets(self, call: Call, before: Call | None, entry: _Pop, caller: bool) -> set[str]:
        targets: set[str] = set()
        stopped: set[str] = set()
        if before is None or call.ringing != before.ringing:
            ring_now = self._ringing(call)
            ring_was = self._ringing(before) if before is not None else set()
            targets, stopped = ring_now - ring_was, ring_was - ring_now  # started ringing
            if before is not None and len(call.no_answer) > len(before.no_answer):
                targets |= stopped  # rang out: no longer theirs
        moved = before is None or before.state is not call.state
        if call.state is CallState.ANSWERED and moved:  # the answering one, and who else rang
            agent = self._agent(call)
            targets |= stopped | ({agent} if agent else set())
        elif call.state is CallState.ENDED or caller:
            targets |= entry.notified - entry.withdrawn
        return targets

    def _withdrawn(self, call: Call, before: Call | None) -> set[str]:
        """Extensions this change takes the call from: they rang and it is no longer theirs
        (rang out, or answered by another). They get one withdrawal, without the household."""
        if before is None:
            return set()
        was = self._ringing(before)
        now = self._ringing(call)
        agent = self._agent(call) if call.state is CallState.ANSWERED else None
        return was - now - ({agent} if agent else set())

    def _ext(self, interface: str, name: str) -> str | None:
        key = (interface, name)
        if key not in self._exts:
            if len(self._exts) > 10_000:
                self._exts.clear()
            self._exts[key] = self.settings.extension_of(interface, name)
        return self._exts[key]

    def _ringing(self, call: Call) -> set[str]:
        return {
            ext
            for iface, name in zip(call.ringing, call.ringing_names, strict=False)
            if (ext := self._ext(iface, name))
        }

    def _agent(self, call: Call) -> str | None:
        if not call.agent_interface:
            return None
        return self._ext(call.agent_interface, call.agent_name)

    def _extension(self, call: Call) -> str | None:
        """The operator a pop is about: the answering one, else the one ringing (for an ended
        call, the last one rung if it had not rung out)."""
        if call.answered_at is not None and call.agent_interface:
            return self._agent(call)
        if call.ringing:
            return self._ext(call.ringing[0], call.ringing_names[0])
        if not call.live and call.rung and call.rung[-1] not in call.no_answer:
            return self._ext(call.rung[-1], "")
        return None

    # ----------------------------------------------------------------- lookup

    def _look_up(self, linkedid: str, entry: _Pop) -> None:
        if entry.identity.withheld:
            if entry.lookup is not None:
                entry.lookup.cancel()
            entry.households, entry.lookup_error, entry.pending = (), "", False
        elif entry.identity.e164 and entry.lookup is None:
            entry.pending = True
            entry.lookup = self._spawn(self._run_lookup(linkedid, entry, entry.identity.e164))

    async def _run_lookup(self, linkedid: str, entry: _Pop, e164: str) -> None:
        day = dt.datetime.now(self._tz).replace(hour=0, minute=0, second=0, microsecond=0)
        found, error = await timed_lookup(
            self._lookup,
            e164,
            day,
            self.settings.lookup_timeout_seconds,
            linkedid,
            self._on_lookup_time,
        )
        if entry.identity.withheld:
            return
        entry.repeat_calls = found.repeat_calls
        entry.lookup_error, entry.pending = error, False
        if not error:
            entry.households = groups_of(found.matches, dt.datetime.now(self._tz).date())
            members = [m for h in found.matches for m in h.members]
            self._record(
                linkedid,
                {
                    "match_count": len(members),
                    "matched_resident_id": members[0].resident_id if len(members) == 1 else None,
                },
            )
        call = self._tracker.calls.get(linkedid)
        targets = entry.notified - entry.withdrawn
        if targets and call is not None and self._pops.get(linkedid) is entry:
            self._push(call, entry, targets)  # the complete pop

    # ----------------------------------------------------------------- pops out

    def set_uncertain(self, uncertain: bool) -> None:
        """The PBX link went down (or came back): re-send every live pop, marked so."""
        if uncertain == self.uncertain:
            return
        self.uncertain = uncertain
        for lid, entry in list(self._pops.items()):
            call = self._tracker.calls.get(lid)
            if call is not None and call.state in LIVE and entry.notified - entry.withdrawn:
                self._push(call, entry, entry.notified - entry.withdrawn)

    def _pop(self, call: Call, entry: _Pop | None) -> protocol.ScreenPop:
        waited = None
        if call.live and call.hold_seconds is None:  # still waiting: the wait so far, from the
            # PBX's entry time (a call rebuilt by a resync entered before we saw it)
            waited = (dt.datetime.now(dt.UTC) - call.first_seen_at).total_seconds()
            waited = round(max(waited, 0.0), 1)
        uncertain = self.uncertain and call.live
        if entry is None:
            caller = identify(call.caller, self.settings.default_area_code).info
            return pop_of(call, self._extension(call), caller, waited=waited, uncertain=uncertain)
        error = entry.lookup_error or (PENDING if entry.pending else "")
        return pop_of(
            call, self._extension(call), entry.identity.info, entry.households, error,
            waited=waited, repeat_calls=entry.repeat_calls, uncertain=uncertain,
        )  # fmt: skip

    def _push(
        self, call: Call, entry: _Pop, targets: set[str], *, withdrawal: bool = False
    ) -> None:
        if entry.pending and not withdrawal:
            self.pops_before_lookup += 1
        pop = self._pop(call, entry)
        if withdrawal:
            pop = replace(pop, households=(), lookup_error="")
        for ext in sorted(targets):
            entry.notified.add(ext)
            self.pops_sent += 1
            self._send(ext, pop)

    def current_pops(self, extension: str) -> list[protocol.ScreenPop]:
        """Live pops for ``extension`` (a reconnecting operator gets its call back)."""
        return [
            self._pop(c, self._pops.get(c.linkedid))
            for c in self._tracker.calls.values()
            if c.state in LIVE
            and (self._extension(c) == extension or extension in self._ringing(c))
        ]

    def _spawn(self, coro: Awaitable[None]) -> asyncio.Task[None]:
        task: asyncio.Task[None] = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    async def drain(self) -> None:
        """Wait for the lookups running now (tests, shutdown)."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    async def close(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)
