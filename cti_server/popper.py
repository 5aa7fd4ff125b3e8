"""Screen-pop routing: domain events in, ``ScreenPop`` to the ringing extension(s) out.

``Popper.on_event`` takes domain events in order and is synchronous and cheap. The caller
number is normalized at first sight (``CallerIdentified`` on the caller leg, or ``CallQueued``)
and the ledger lookup starts there, in a task. A pop goes only to the extension(s) ringing or
connected, through ``send``, at once: if the lookup is still running it goes out with
``lookup_error = "pending"`` and an updated pop follows the moment the lookup is done. A withheld
caller is never shown: no number, no name, no lookup, and nothing stored but the fact.

Every change of a call leaves through ``record`` (fields by Linkedid, written in batches by the
``CallRecorder``). The caller's hang-up may come before ``AgentComplete`` or
``QueueCallerAbandon``: recently ended calls are remembered, and those late events still give
the record its talk time, or its hold time and the short / long abandon split.
"""

from __future__ import annotations

import asyncio
import collections
import datetime as dt
import logging
import zoneinfo
from collections.abc import Awaitable, Callable, Container
from typing import Any

from cti_server import protocol
from cti_server.caller_lookup import Lookup, timed_lookup
from cti_server.config import Settings
from cti_server.domain import events as ev
from cti_server.pop_view import LiveCall, candidate_of, groups_of, pop_of, redact
from registry.normalize.phone import normalize_caller_id

__all__ = ["LIVE", "LiveCall", "Popper", "candidate_of", "groups_of", "pop_of", "redact"]

log = logging.getLogger(__name__)

Send = Callable[[str, protocol.ScreenPop], None]
Record = Callable[[str, dict[str, Any]], None]
LIVE = ("ringing", "answered")
REMEMBER_ENDED = 10_000
NO_NAME = ("", "<unknown>", "unknown", "anonymous")


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
        self.ended: collections.OrderedDict[str, None] = collections.OrderedDict()
        self._tasks: set[asyncio.Task[None]] = set()
        self.new_calls = 0
        self.pops_sent = 0
        self.pops_before_lookup = 0  # pops sent while the lookup still ran (an update followed)

    def knows(self, linkedid: str) -> bool:
        """A live call here, or one that ended recently."""
        return linkedid in self.calls or linkedid in self.ended

    # ----------------------------------------------------------------- events in

    def on_event(self, e: Any) -> None:
        handler = getattr(self, f"_on_{type(e).__name__}", None)
        if handler is not None:
            handler(e)

    def _call(self, linkedid: str, at: dt.datetime) -> LiveCall | None:
        if not linkedid or linkedid in self.ended:
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
        call.queue, call.queued_at = e.queue, call.queued_at or e.at
        self._identify(call, e.number, e.name, e.presentation, e.withheld)
        self._record(call.linkedid, {"queue": e.queue, "entered_at": call.entered_at})

    def _on_QueueEntrySeen(self, e: ev.QueueEntrySeen) -> None:
        fresh = e.linkedid not in self.calls
        call = self._call(e.linkedid, e.at - dt.timedelta(seconds=e.wait_seconds))
        if call is None:
            return
        call.queue = call.queue or e.queue
        call.queued_at = call.queued_at or call.entered_at
        withheld = e.number.strip().lower() == "anonymous"
        self._identify(call, e.number, e.name, "", withheld)
        if fresh:
            self._record(call.linkedid, {"queue": e.queue, "entered_at": call.entered_at})

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
        fields = {"answered_at": e.at, "extension": ext, "hold_seconds": e.hold_seconds}
        self._record(
            call.linkedid, {**fields, "queue": call.queue or e.queue, "outcome": "ongoing"}
        )
        self._push(call, targets)

    def _abandon_outcome(self, hold: float) -> str:
        return "short_abandoned" if hold < self.settings.short_abandon_seconds else "abandoned"

    def _on_CallAbandoned(self, e: ev.CallAbandoned) -> None:
        fields = {"outcome": self._abandon_outcome(e.hold_seconds), "hold_seconds": e.hold_seconds}
        call = self.calls.get(e.linkedid)
        if call is not None:
            call.wait_seconds = e.hold_seconds
            self._end(call, e.at, fields)
        elif e.linkedid in self.ended:  # the caller's hang-up came first: the PBX's figures win
            self._record(e.linkedid, fields)

    def _on_CallLeftQueue(self, e: ev.CallLeftQueue) -> None:
        # Asterisk sends QueueCallerLeave before AgentConnect: leaving is not the end
        call = self.calls.get(e.linkedid)
        if call is not None:
            call.left_queue = True

    def _on_CallCompleted(self, e: ev.CallCompleted) -> None:
        fields = {"outcome": "answered", "talk_seconds": e.talk_seconds}
        call = self.calls.get(e.linkedid)
        if call is not None:
            self._end(call, e.at, fields)
        elif e.linkedid in self.ended:  # amend: the caller leg hung up first
            self._record(e.linkedid, fields)

    def _on_ChannelHungUp(self, e: ev.ChannelHungUp) -> None:
        call = self.calls.get(e.linkedid)
        if call is None or e.uniqueid != e.linkedid:
            return  # only the first (caller) leg ends the call
        if call.answered_at:
            self._end(call, e.at, {"outcome": "answered"})
        elif call.queue and not call.left_queue:  # hung up waiting: the wait so far
            hold = max(0.0, (e.at - (call.queued_at or call.entered_at or e.at)).total_seconds())
            call.wait_seconds = hold
            self._end(call, e.at, {"outcome": self._abandon_outcome(hold), "hold_seconds": hold})
        else:  # the queue let it go (timeout, no members) unanswered
            self._end(call, e.at, {"outcome": "no_agent"})

    def _on_PbxShutdown(self, e: ev.PbxShutdown) -> None:
        self.end_vanished((), e.at)  # nothing survives a PBX restart

    def end_vanished(self, live: Container[str], at: dt.datetime) -> None:
        """After a resync (``live``: the tracker's live calls) or a PBX shutdown: end the calls
        the PBX no longer has; how they ended was not seen (answered ones stay answered)."""
        for call in [c for lid, c in self.calls.items() if lid not in live]:
            self._end(call, at, {"outcome": "answered" if call.answered_at else "unknown"})

    def adopt(self, call: Any) -> None:
        """After a resync: a live call of the tracker (``cti_server.domain.calls.Call``) whose
        ringing or answer happened while the PBX link was down still reaches its operator."""
        live = self._call(call.linkedid, call.queued_at or call.first_seen_at)
        if live is None:
            return
        live.queue = live.queue or call.queue
        live.queued_at = live.queued_at or call.queued_at
        caller = call.caller
        if live.caller is None or caller.withheld:
            self._identify(live, caller.raw_number, caller.raw_name, caller.presentation,
                           caller.withheld)  # fmt: skip
        if call.state.value == "answered" and live.state != "answered":
            ext = self.settings.extension_of(call.agent_interface or "", call.agent_name or "")
            live.state, live.extension = "answered", ext
            live.answered_at = live.answered_at or call.answered_at
            live.ringing.clear()
            self._push(live, {ext} if ext else set())
            return
        exts = {
            ext
            for iface, name in zip(call.ringing, call.ringing_names, strict=False)
            if (ext := self.settings.extension_of(iface, name)) and ext not in live.ringing
        }
        if exts:
            live.ringing |= exts
            if live.state == "queued":
                live.state, live.extension = "ringing", min(exts)
            self._push(live, exts)

    # ----------------------------------------------------------------- caller and lookup

    def _identify(
        self, call: LiveCall, number: str, name: str, presentation: str, withheld: bool
    ) -> None:
        if call.withheld:
            return
        cn = normalize_caller_id(number, default_area_code=self.settings.default_area_code)
        if withheld or cn.status == "withheld":
            self._withhold(call, number if cn.status == "withheld" else "", presentation)
            return
        if call.caller is not None and (cn.status != "number" or call.caller.e164 == cn.e164):
            return  # first sight wins; a placeholder is replaced by a real number
        shown = "" if name.strip().lower() in NO_NAME else name
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
            call.lookup_pending = True
            call.lookup = self._spawn(self._run_lookup(call, cn.e164))

    def _withhold(self, call: LiveCall, raw: str, presentation: str) -> None:
        call.withheld = True
        call.caller = protocol.CallerInfo(status="withheld")
        call.households, call.lookup_error, call.lookup_pending = (), "", False
        if call.lookup:
            call.lookup.cancel()
        self._record(
            call.linkedid,
            {
                "caller_raw": raw,
                "caller_name_raw": "",
                "presentation": presentation,
                "caller_status": "withheld",
                "caller_e164": "",  # "" overwrites; None would not
            },
        )

    async def _run_lookup(self, call: LiveCall, e164: str) -> None:
        matches, call.lookup_error = await timed_lookup(
            self._lookup,
            e164,
            self.settings.lookup_timeout_seconds,
            call.linkedid,
            self._on_lookup_time,
        )
        if call.withheld:
            return
        if not call.lookup_error:
            call.households = groups_of(matches, dt.datetime.now(self._tz).date())
            members = [m for h in matches for m in h.members]
            self._record(
                call.linkedid,
                {
                    "match_count": len(members),
                    "matched_resident_id": members[0].resident_id if len(members) == 1 else None,
                },
            )
        call.lookup_pending = False  # pop_of no longer says "pending"
        if call.notified:  # a pop went out before the lookup was done: send it complete
            self._push(call, set())

    # ----------------------------------------------------------------- pops out

    def _push(self, call: LiveCall, extensions: set[str]) -> None:
        targets = extensions if extensions else set(call.notified)
        if not targets:
            return
        if call.lookup_pending:
            self.pops_before_lookup += 1
        pop = pop_of(call)
        for ext in sorted(targets):
            call.notified.add(ext)
            self.pops_sent += 1
            self._send(ext, pop)

    def _end(self, call: LiveCall, at: dt.datetime, fields: dict[str, Any]) -> None:
        if call.state == "ended":
            return
        call.state, call.ended_at, call.outcome = "ended", at, fields["outcome"]
        targets = call.notified | call.ringing | ({call.extension} if call.extension else set())
        self._record(call.linkedid, {"ended_at": at, **fields})
        self._push(call, {t for t in targets if t})
        del self.calls[call.linkedid]
        self.ended[call.linkedid] = None
        while len(self.ended) > REMEMBER_ENDED:
            self.ended.popitem(last=False)

    def current_pops(self, extension: str) -> list[protocol.ScreenPop]:
        """Live pops for ``extension`` (a reconnecting operator gets its call back)."""
        return [
            pop_of(c)
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
