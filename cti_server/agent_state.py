"""Each operator's own state (受付可 / 休止 / 後処理 ...) and the after-call work around calls.

``AgentStates`` follows the tracker (``on_changes`` gets what ``Tracker.apply`` returned, through
``CallService.change_listeners``) and pushes ``AgentStatus`` to the operator's extension on every
change. The state itself is folded by ``cti_server.domain.operator_state`` from the PBX's members.

After-call work (settings ``after_call_*``): when an operator whose console is connected answers
a queue call, their member(s) are paused at once with the after-call reason (``QueuePause``; the
board still shows them in the call, which wins over a pause). When the call ends they are
therefore already paused: no next call can ring them in the moment between the hang-up and a
pause sent then. After-call work lasts ``after_call_seconds`` (0: until the operator says 完了,
``SetAgentState("available")``) and ends with an unpause. A pause with another reason (the
operator's own 休止 during the call, a supervisor's) is never overwritten nor lifted by it.

Who made a pause change (``AgentStatus.by``): ``self`` and ``after_call`` for the requests sent
here, ``supervisor`` for a ``PauseAgent`` announced with ``expect`` (ws.py does), else ``pbx``.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import time
from collections.abc import Callable, Iterable
from typing import Any

from cti_server import protocol
from cti_server.config import Settings
from cti_server.domain.agents import Member, MemberStatus
from cti_server.domain.calls import Call, CallState
from cti_server.domain.changes import CallChanged, MemberChanged
from cti_server.domain.operator_state import AfterCall, operator_state

log = logging.getLogger(__name__)

MAX_REASON = 64
PAUSE_TIMEOUT = 5.0
EXPECT_SECONDS = 10.0  # an announced pause change is attributed if it comes within this


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _iso(at: dt.datetime | None) -> str | None:
    return at.astimezone(dt.UTC).isoformat() if at else None


class AgentStates:
    def __init__(
        self,
        settings: Settings,
        tracker: Any,
        send: Callable[[str, Any], Any],
        bridge: Callable[[], Any],
        *,
        connected: Callable[[str], bool],
        clock: Callable[[], dt.datetime] = utc_now,
    ) -> None:
        self.settings = settings
        self.tracker = tracker
        self._send = send
        self._bridge = bridge
        self._connected = connected
        self._clock = clock
        self.after_call: dict[str, AfterCall] = {}  # by extension
        self._armed: set[str] = set()  # Linkedids whose agent was paused for after-call work
        self._timers: dict[str, asyncio.TimerHandle] = {}
        self._last: dict[str, tuple[tuple[Any, ...], protocol.AgentStatus]] = {}  # inputs, sent
        self._by: dict[str, tuple[str, str]] = {}  # extension -> (by, by_name) of the last change
        self._expect: dict[str, tuple[bool, str, str, float]] = {}  # interface -> announced
        self._seen: dict[tuple[str, str], tuple[bool, str]] = {}  # member -> (paused, reason)
        self._tasks: set[asyncio.Task[None]] = set()
        self._index: dict[str, list[Any]] | None = None  # extension -> member keys
        self._index_ext: dict[Any, str | None] = {}
        self._index_size = -1

    # ----------------------------------------------------------------- reading
    def extension(self, m: Member) -> str | None:
        return self.settings.extension_of(m.interface, m.name)

    def members_of(self, ext: str) -> list[Member]:
        members = self.tracker.members
        if self._index is None or len(members) != self._index_size:
            self._reindex(members)
        assert self._index is not None
        out = []
        for key in self._index.get(ext, ()):
            m = members.get(key)
            if m is not None and self.extension(m) == ext:
                out.append(m)
        return out

    def _reindex(self, members: dict[Any, Member]) -> None:
        """Members' keys by extension (asked on every call change: not a scan of all members)."""
        index: dict[str, list[Any]] = {}
        exts: dict[Any, str | None] = {}
        for key, m in members.items():
            exts[key] = ext = self.extension(m)
            if ext is not None:
                index.setdefault(ext, []).append(key)
        self._index, self._index_ext, self._index_size = index, exts, len(members)

    def _member_moved(self, m: Member, removed: bool) -> None:
        """Forget the index when a member comes, goes or is renamed to another extension."""
        key = (m.queue, m.interface)
        if removed or key not in self._index_ext or self._index_ext[key] != self.extension(m):
            self._index = None

    def status(self, ext: str) -> protocol.AgentStatus:
        return self._status(ext, self._inputs(ext))

    def _inputs(self, ext: str) -> tuple[Any, ...]:
        """All that ``ext``'s status is made of (members are frozen: a change is a new one)."""
        s = self.settings
        return (
            tuple(self.members_of(ext)), self.after_call.get(ext), self._by.get(ext, ("", "")),
            s.after_call_reason, s.after_call_seconds,
        )  # fmt: skip

    @staticmethod
    def _status(ext: str, inputs: tuple[Any, ...]) -> protocol.AgentStatus:
        members, after_call, (by, name), reason, seconds = inputs
        st = operator_state(members, after_call, reason)
        return protocol.AgentStatus(
            extension=ext, state=str(st.status), reason=st.reason, since=_iso(st.since),
            until=_iso(st.until), by=by, by_name=name, after_call_seconds=seconds,
        )  # fmt: skip

    def push(self, ext: str) -> None:
        """Send ``ext`` its status if it changed. Most call changes leave an operator's members
        as they were: the status is then not folded again."""
        inputs = self._inputs(ext)
        last = self._last.get(ext)
        if last is not None and last[0] == inputs:
            return
        status = self._status(ext, inputs)
        self._last[ext] = (inputs, status)
        if last is None or last[1] != status:
            self._send(ext, status)

    # ----------------------------------------------------------------- in: the tracker
    def on_changes(self, changes: list[Any]) -> None:
        """What ``Tracker.apply`` returned; cheap and synchronous, never raises."""
        try:
            exts: set[str] = set()
            for ch in changes:
                if isinstance(ch, MemberChanged):
                    self._member_moved(ch.member, ch.removed)
            for ch in changes:  # calls first: an ending call starts after-call work before
                if isinstance(ch, CallChanged):  # its member's pause is looked at
                    exts.update(self._on_call(ch.call))
            for ch in changes:
                if isinstance(ch, MemberChanged) and (ext := self.extension(ch.member)):
                    self._on_member(ext, ch.member, ch.removed)
                    exts.add(ext)
            for ext in sorted(exts):
                self.push(ext)
        except Exception:
            log.exception("agent states: could not take tracker changes")

    def _on_call(self, call: Call) -> Iterable[str]:
        if not call.agent_interface:
            return ()
        ext = self.settings.extension_of(call.agent_interface, call.agent_name)
        if ext is None:
            return ()
        lid = call.linkedid
        if call.state is CallState.ANSWERED and lid not in self._armed and self._wanted(ext):
            self._armed.add(lid)
            if not any(m.paused for m in self.members_of(ext)):
                self._request(ext, True, self.settings.after_call_reason, "after_call")
        elif call.state is CallState.ENDED and call.answered_at is not None:
            armed = lid in self._armed
            self._armed.discard(lid)
            if armed or self._wanted(ext):
                self._begin_after_call(ext, lid)
        return (ext,)

    def _wanted(self, ext: str) -> bool:
        return self.settings.after_call_enabled and self._connected(ext)

    def _on_member(self, ext: str, m: Member, removed: bool) -> None:
        key = (m.queue, m.interface)
        now = (m.paused, m.paused_reason)
        before = self._seen.get(key)
        self._seen[key] = now
        if removed:
            self._seen.pop(key, None)
            return
        if before is None or before == now:
            return
        by, name = self._attribute(m.interface, m.paused)
        self._by[ext] = (by, name)
        acw = self.settings.after_call_reason
        if ext in self.after_call and (
            (m.paused and m.paused_reason != acw) or (not m.paused and by not in ("after_call",))
        ):
            self._end_after_call(ext)  # someone chose another pause, or lifted it
        elif (
            m.paused
            and m.paused_reason == acw
            and ext not in self.after_call
            and m.status is MemberStatus.PAUSED
            and by != "after_call"
        ):
            self._begin_after_call(ext, "")  # paused for it by someone else: the timer runs

    def _attribute(self, interface: str, paused: bool) -> tuple[str, str]:
        hit = self._expect.get(interface)
        if hit is not None and hit[0] == paused and hit[3] > time.monotonic():
            return hit[1], hit[2]  # kept: a member in several queues changes once per queue
        return "pbx", ""

    def expect(self, interface: str, paused: bool, by: str, name: str = "") -> None:
        """A pause change is on its way from ``by`` (``supervisor``: ws.py on ``PauseAgent``)."""
        self._expect[interface] = (paused, by, name, time.monotonic() + EXPECT_SECONDS)

    # ----------------------------------------------------------------- after-call work
    def _begin_after_call(self, ext: str, linkedid: str) -> None:
        acw = self.settings.after_call_reason
        members = self.members_of(ext)
        if any(m.paused and m.paused_reason != acw for m in members):
            return  # they chose a pause of their own during the call: it stands
        now = self._clock()
        seconds = self.settings.after_call_seconds
        until = now + dt.timedelta(seconds=seconds) if seconds else None
        self.after_call[ext] = AfterCall(linkedid, now, until)
        self._by[ext] = ("after_call", "")
        if members and not any(m.paused for m in members):  # not armed at the answer
            self._request(ext, True, acw, "after_call")
        self._cancel_timer(ext)
        if seconds:
            loop = asyncio.get_running_loop()
            self._timers[ext] = loop.call_later(seconds, self._time_up, ext, linkedid)
        log.info("extension %s: after-call work (call %s)", ext, linkedid or "-")

    def _time_up(self, ext: str, linkedid: str) -> None:
        self._timers.pop(ext, None)
        current = self.after_call.get(ext)
        if current is not None and current.linkedid == linkedid:
            self.finish_after_call(ext, "after_call")

    def finish_after_call(self, ext: str, by: str) -> None:
        """End after-call work: lift the after-call pause (never another reason's)."""
        self._end_after_call(ext)
        acw = self.settings.after_call_reason
        if any(m.paused and m.paused_reason == acw for m in self.members_of(ext)):
            self._request(ext, False, "", by)
        self._by[ext] = (by, "")
        self.push(ext)

    def _end_after_call(self, ext: str) -> None:
        self.after_call.pop(ext, None)
        self._cancel_timer(ext)

    def _cancel_timer(self, ext: str) -> None:
        timer = self._timers.pop(ext, None)
        if timer is not None:
            timer.cancel()

    # ----------------------------------------------------------------- out: QueuePause
    def _request(self, ext: str, paused: bool, reason: str, by: str) -> None:
        """Pause or unpause every member interface of ``ext`` in the background."""
        self._spawn(self._pause(ext, paused, reason, by))

    async def _pause(self, ext: str, paused: bool, reason: str, by: str) -> None:
        bridge = self._bridge()
        if bridge is None or not getattr(bridge, "connected", False):
            raise ConnectionError("the PBX is not connected")
        for iface in sorted({m.interface for m in self.members_of(ext)}):
            self.expect(iface, paused, by)
            await asyncio.wait_for(bridge.queue_pause(iface, paused, reason, ""), PAUSE_TIMEOUT)

    async def set_state(
        self, who: Any, msg: protocol.SetAgentState
    ) -> protocol.ErrorMessage | None:
        """The operator's own 受付可 / 休止 (with a reason) / 完了; None when the PBX took it."""
        ext = who.extension
        problem = _check(msg, bool(ext))
        if problem:
            return protocol.ErrorMessage(error="bad_message", message=problem)
        assert ext is not None
        if not self.members_of(ext):
            return protocol.ErrorMessage(
                error="not_in_queue", message=f"extension {ext} is in no queue",
                details={"extension": ext},
            )  # fmt: skip
        self._end_after_call(ext)
        paused = msg.state == "paused"
        try:
            await self._pause(ext, paused, msg.reason.strip() if paused else "", "self")
        except ConnectionError as err:
            return protocol.ErrorMessage(error="ami_unavailable", message=str(err))
        except Exception as err:
            log.warning("own %s of extension %s failed: %r", msg.state, ext, err)
            return protocol.ErrorMessage(
                error="pause_failed", message=str(err) or type(err).__name__,
                details={"extension": ext, "state": msg.state},
            )  # fmt: skip
        self._by[ext] = ("self", "")
        log.info("operator %s set extension %s %s", who.id, ext, msg.state)
        self.push(ext)
        return None

    # ----------------------------------------------------------------- life
    def _spawn(self, coro: Any) -> None:
        task: asyncio.Task[None] = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._done)

    def _done(self, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.warning("after-call pause request failed: %r", task.exception())

    async def close(self) -> None:
        for ext in list(self._timers):
            self._cancel_timer(ext)
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)


def _check(msg: protocol.SetAgentState, has_extension: bool) -> str:
    if not has_extension:
        return "no extension: log in with one to take calls"
    if msg.state not in ("available", "paused"):
        return "state: available or paused"
    reason = msg.reason.strip()
    if msg.state == "paused" and not reason:
        return "reason: required to pause"
    if len(reason) > MAX_REASON or any(c in reason for c in "\r\n"):
        return f"reason: at most {MAX_REASON} characters, one line"
    return ""
