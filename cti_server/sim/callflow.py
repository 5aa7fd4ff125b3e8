"""One simulated queue call, emitting the events of the recorded Asterisk 22 streams in their order.

Caller: ``Local/<DID>@from-trunk-N;1`` (first channel, its Uniqueid is the Linkedid) and ``;2``
(sits in Queue(), so the queue log names the call by its Uniqueid). Members are
``Local/<ext>@operators/n``; their legs ``Local/<ext>@operators-N;1/;2``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from cti_server.sim.wire import Channel, Member, Pairs

if TYPE_CHECKING:
    from cti_server.sim.server import PbxSimulator

log = logging.getLogger(__name__)
ALLOWED = "allowed_not_screened"
ALLOWED_TXT = "0 (Presentation Allowed, Not Screened)"


@dataclass
class CallPlan:
    number: str
    name: str = ""
    talk: float = 5.0  # seconds of talk once answered
    patience: float = 60.0  # the caller hangs up after waiting this long
    ring: float = 1.0  # seconds a member rings before answering
    answer: asyncio.Event | None = None  # if given, the member answers as soon as it is set
    no_answer: tuple[str, ...] = ()  # extensions that let it ring out (queue timeout)
    hangup: asyncio.Event | None = None  # if given, the caller hangs up when set (at most talk)
    # the caller asks for a callback after waiting this long (before patience runs out):
    # "key" pressed 1, "timeout" the queue's wait limit (the dialplan's CtiCallback user event)
    callback_after: float | None = None
    callback_reason: str = "key"
    linkedid: str = ""
    channels: list[Channel] = field(default_factory=list)


def _ev(name: str, ch: Channel, *rest: tuple[str, str], dest: Channel | None = None,
        privilege: str = "call,all") -> Pairs:  # fmt: skip
    pairs = [("Event", name), ("Privilege", privilege), *ch.snapshot()]
    if dest is not None:
        pairs += dest.snapshot("Dest")
    return pairs + list(rest)


class CallFlow:
    def __init__(self, sim: PbxSimulator, plan: CallPlan) -> None:
        self.sim, self.plan = sim, plan
        self.queue = sim.queue_name
        withheld = plan.number.strip().lower() == "anonymous"
        self.empty = plan.number.strip() in ("", "<unknown>")
        self.number = "<unknown>" if self.empty else plan.number
        self.cid_name = plan.name or ("Anonymous" if withheld else "<unknown>")
        self.withheld = withheld

    def start(self) -> None:
        """Create the caller's channels and join the queue (synchronously: the Linkedid is
        known when ``place_call`` returns)."""
        sim, p = self.sim, self.plan
        seq = sim.next_local()
        did = sim.did
        one = sim.new_channel(f"Local/{did}@from-trunk-{seq:08x};1", "from-trunk", did)
        p.linkedid = one.linkedid
        two = sim.new_channel(f"Local/{did}@from-trunk-{seq:08x};2", "from-trunk", did,
                              linkedid=one.linkedid)  # fmt: skip
        two.state, one.application, two.application = 4, "AppDial2", "Queue"
        two.app_data = f"{self.queue},r,,,300"
        p.channels += [one, two]
        for ch in (one, two):
            sim.emit(_ev("Newchannel", ch))
        if not self.empty:
            for ch in (one, two):
                ch.number, ch.cid_name, ch.pres = self.number, self.cid_name, ALLOWED
                ch.connected_num, ch.connected_name = self.number, ch.cid_name
                sim.emit(_ev("NewCallerid", ch, ("CID-CallingPres", ALLOWED_TXT)))
        if self.withheld:
            two.pres = "prohib"  # set by the dialplan, no NewCallerid for it (as recorded)
        two.priority = 4
        self.entered = sim.now()
        self.pos = sim.join(self)
        shown = "" if self.empty else self.number  # what Queue() logs (by default, any pres)
        sim.log_queue(two.uniqueid, self.queue, "NONE", "ENTERQUEUE", "", shown, self.pos)
        sim.emit(_ev("QueueCallerJoin", two, ("Queue", self.queue), ("Position", str(self.pos)),
                     ("Count", str(sim.waiting_count())), privilege="agent,all"))  # fmt: skip

    async def run(self) -> None:
        sim, p = self.sim, self.plan
        try:
            await self._wait_for_agent(p.channels[0], p.channels[1], self.entered, self.pos)
        finally:
            sim.leave(self)
            for ch in p.channels:
                sim.channels.pop(ch.uniqueid, None)

    async def _wait_for_agent(self, one: Channel, two: Channel, entered: float, pos: int) -> None:
        sim, p = self.sim, self.plan
        ask = p.callback_after
        callback = ask is not None and ask < p.patience
        deadline = entered + (ask if ask is not None and callback else p.patience)
        while True:
            member = sim.pick_member(self)
            if member is None:
                if sim.now() >= deadline:
                    if callback:
                        return await self._callback(one, two)
                    return self._abandon(one, two, entered, pos)
                await sim.sleep(min(0.5, max(0.01, deadline - sim.now())))
                continue
            answers = member.extension not in p.no_answer
            ring_for = p.ring if answers else sim.ring_timeout
            left = deadline - sim.now()
            legs = self._ring(member, one)
            if left < ring_for:
                await sim.sleep(max(0.0, left))
                self._stop_ring(member, legs, two, rang=None)
                if callback:
                    return await self._callback(one, two)
                return self._abandon(one, two, entered, pos)
            rang = await self._ring_for(ring_for, p.answer if answers else None)
            if answers:
                return await self._connect(member, legs, one, two, entered, rang)
            self._stop_ring(member, legs, two, rang=ring_for)
            await sim.sleep(sim.retry)

    async def _ring_for(self, limit: float, answer: asyncio.Event | None) -> float:
        """Ring ``limit`` simulated seconds, or until ``answer`` is set; the time it rang."""
        start = self.sim.now()
        if answer is None:
            await self.sim.sleep(limit)
        else:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(answer.wait(), limit / self.sim.speed)
        return min(limit, self.sim.now() - start)

    def _ring(self, m: Member, one: Channel) -> tuple[Channel, Channel]:
        sim = self.sim
        seq = sim.next_local()
        base = f"Local/{m.extension}@operators-{seq:08x}"
        a = sim.new_channel(f"{base};1", "operators", sim.did, linkedid=one.linkedid)
        b = sim.new_channel(f"{base};2", "operators", m.extension, linkedid=one.linkedid)
        a.application, a.app_data, b.application = "AppQueue", "(Outgoing Line)", "Wait"
        self.plan.channels += [a, b]
        for ch in (a, b):
            sim.emit(_ev("Newchannel", ch))
        for ch in (a, b):
            ch.number = ch.connected_num = self.number
            ch.cid_name = self.cid_name
            ch.pres = "prohib" if self.withheld else ALLOWED
            sim.emit(_ev("NewCallerid", ch, ("CID-CallingPres", ALLOWED_TXT)))
        two = self.plan.channels[1]
        sim.emit(_ev("AgentCalled", two, *self._member(m), dest=a, privilege="agent,all"))
        a.state, m.status, m.busy = 5, 2, True
        sim.emit(m.event("QueueMemberStatus"))
        return a, b

    def _member(self, m: Member) -> Pairs:
        return [("Queue", self.queue), ("Interface", m.interface), ("MemberName", m.name)]

    def _stop_ring(self, m: Member, legs: tuple[Channel, Channel], two: Channel,
                   rang: float | None) -> None:  # fmt: skip
        sim = self.sim
        if rang is not None:
            sim.emit(_ev("AgentRingNoAnswer", two, *self._member(m),
                         ("RingTime", str(int(rang * 1000))), dest=legs[0],
                         privilege="agent,all"))  # fmt: skip
            sim.log_queue(two.uniqueid, self.queue, m.name, "RINGNOANSWER", int(rang * 1000))
        for ch in legs:
            sim.hangup(ch, 0, "Unknown")
        m.status, m.busy = 1, False
        sim.emit(m.event("QueueMemberStatus"))

    def _abandon(self, one: Channel, two: Channel, entered: float, pos: int) -> None:
        sim = self.sim
        hold = int(sim.now() - entered)
        sim.abandoned += 1
        sim.hangup(one, 19, "User alerting, no answer")
        sim.emit(_ev("QueueCallerAbandon", two, ("Queue", self.queue),
                     ("Position", str(sim.position_of(self))), ("OriginalPosition", str(pos)),
                     ("HoldTime", str(hold)), privilege="agent,all"))  # fmt: skip
        sim.log_queue(two.uniqueid, self.queue, "NONE", "ABANDON", sim.position_of(self), pos,
                      hold)  # fmt: skip
        self._leave(two)
        sim.hangup(two, 19, "User alerting, no answer")

    async def _callback(self, one: Channel, two: Channel) -> None:
        """The caller leaves the queue asking for a callback, as the deploy/ dialplan does it:
        a key (queue ``context=queue-callback``, exten ``1``) or the queue's timeout (the next
        priority), ``QueueCallerLeave`` (no abandon), ``UserEvent(CtiCallback,...)`` on the
        queue leg, a thank-you, the hang-up."""
        sim, p = self.sim, self.plan
        wait, pos = int(sim.now() - self.entered), sim.position_of(self)
        if p.callback_reason == "key":
            sim.log_queue(two.uniqueid, self.queue, "NONE", "EXITWITHKEY", "1", pos, self.pos,
                          wait)  # fmt: skip
        else:
            sim.log_queue(two.uniqueid, self.queue, "NONE", "EXITWITHTIMEOUT", pos, self.pos,
                          wait)  # fmt: skip
        self._leave(two)
        if p.callback_reason == "key":
            two.context, two.exten, two.priority = "queue-callback", "1", 1
        else:
            two.priority += 1
        two.application, two.app_data = "UserEvent", f"CtiCallback,Queue: {self.queue}"
        sim.callbacks += 1
        sim.emit(_ev("UserEvent", two, ("UserEvent", "CtiCallback"), ("Queue", self.queue),
                     ("Reason", p.callback_reason), privilege="user,all"))  # fmt: skip
        sim.log_queue(two.uniqueid, self.queue, "NONE", "CTICALLBACK", p.callback_reason)
        two.application, two.app_data = "Playback", "callback-thanks"
        await sim.sleep(3.0)
        sim.hangup(two, 16, "Normal Clearing")
        sim.hangup(one, 16, "Normal Clearing")

    def _leave(self, two: Channel) -> None:
        sim = self.sim
        pos = sim.position_of(self)
        sim.leave(self)
        sim.emit(_ev("QueueCallerLeave", two, ("Queue", self.queue), ("Position", str(pos)),
                     ("Count", str(sim.waiting_count())), privilege="agent,all"))  # fmt: skip

    async def _connect(self, m: Member, legs: tuple[Channel, Channel], one: Channel,
                       two: Channel, entered: float, rang: float) -> None:  # fmt: skip
        sim, p = self.sim, self.plan
        a, b = legs
        self._leave(two)
        hold = int(sim.now() - entered)
        for ch in (one, two, a, b):
            ch.state = 6
        two.bridge_id = a.bridge_id = f"sim-bridge-{two.uniqueid}"
        m.in_call = True
        sim.emit(_ev("AgentConnect", two, *self._member(m), ("HoldTime", str(hold)),
                     ("RingTime", str(int(rang))), dest=a, privilege="agent,all"))  # fmt: skip
        sim.log_queue(two.uniqueid, self.queue, m.name, "CONNECT", hold, a.uniqueid, int(rang))
        start = sim.now()
        if p.hangup is not None:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(p.hangup.wait(), p.talk / sim.speed)
        else:
            await sim.sleep(p.talk)
        sim.hangup(one, 0, "Unknown")
        talk = int(sim.now() - start)
        sim.emit(_ev("AgentComplete", two, *self._member(m), ("HoldTime", str(hold)),
                     ("TalkTime", str(talk)), ("Reason", "caller"), dest=a,
                     privilege="agent,all"))  # fmt: skip
        sim.log_queue(two.uniqueid, self.queue, m.name, "COMPLETECALLER", hold, talk, self.pos)
        for ch in (two, a, b):
            sim.hangup(ch, 16, "Normal Clearing")
        m.in_call, m.busy, m.status = False, False, 1
        m.calls_taken += 1
        sim.completed += 1
        m.last_call = sim.epoch()
        sim.emit(m.event("QueueMemberStatus"))
