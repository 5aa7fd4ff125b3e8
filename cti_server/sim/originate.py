"""Click-to-dial in the simulator: the AMI ``Originate`` action and the events Asterisk 22 emits
for it (checked against main/manager.c ``fast_originate`` and the Originate legs of the recorded
streams in tests/fixtures/ami, whose callers are themselves originated ``Local`` channels).

What the simulator assumes (the operator's phone is a ``Local/<ext>@operators`` channel, as in
the captures, and the trunk leg is ``PJSIP/trunk-N``; a real PBX names them by its dialplan):

1. the answer to the action on the asking session only: ``Response: Success`` / ``Message:
   Originate successfully queued`` (``Async: true``);
2. ``Newchannel`` for ``Local/<ext>@operators-N;1`` (Down; its Uniqueid and Linkedid are the
   ``ChannelId`` asked for, else generated) and ``;2`` (Ring), then ``NewCallerid`` for ``;1``
   with the ``CallerID`` of the action;
3. the operator answers (after ``ring`` simulated seconds): ``Newstate`` Up for ``;2`` and ``;1``,
   then ``OriginateResponse`` (``Response: Success``, ``Reason: 4``, ``Context``/``Exten`` of the
   action, the ``;1`` Uniqueid; broadcast with the action's ActionID, as recorded);
   if not within ``Timeout``: ``Hangup`` of both legs (cause 19) and ``OriginateResponse``
   ``Response: Failure``, ``Reason: 3``, ``Channel`` the requested one, ``Uniqueid`` the ChannelId;
4. ``;1`` runs the outbound context: ``Newexten`` (Dial), ``Newchannel`` of the trunk leg,
   ``DialBegin`` (``;1`` and Dest trunk), ``DialState`` RINGING, then ``DialEnd`` ANSWER and the
   talk, or ``DialEnd`` NOANSWER / BUSY; then ``Hangup`` of every leg (trunk first, cause 16, or
   19 / 17 when not answered).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from cti_server.sim.callflow import ALLOWED, ALLOWED_TXT, _ev
from cti_server.sim.wire import Channel, Pairs

if TYPE_CHECKING:
    from cti_server.sim.server import PbxSimulator, Session

log = logging.getLogger(__name__)


@dataclass
class DialPlan:
    """How a dialled number behaves: ``answer`` / ``noanswer`` / ``busy``."""

    result: str = "answer"
    ring: float = 1.0  # seconds the resident's phone rings
    talk: float = 5.0
    operator_ring: float = 0.5  # seconds the operator's phone rings before it is picked up


def _cid(text: str) -> tuple[str, str]:
    """``"市役所" <0773620000>`` -> (number, name)."""
    if "<" in text and text.endswith(">"):
        name, _, num = text[:-1].partition("<")
        return num.strip() or "<unknown>", name.strip().strip('"') or "<unknown>"
    return (text.strip() or "<unknown>"), "<unknown>"


def originate(sim: PbxSimulator, s: Session, msg: Mapping[str, str]) -> str:
    """Answer an Originate (Channel + Context/Exten/Priority only) and run it in the background."""
    channel, context, exten = msg.get("Channel", ""), msg.get("Context", ""), msg.get("Exten", "")
    action_id = msg.get("ActionID", "")
    if not channel:
        s.send([("Response", "Error"), ("ActionID", action_id),
                ("Message", "Channel not specified")])  # fmt: skip
        return ""
    if not channel.startswith("Local/") or not context or not exten:
        s.send([("Response", "Error"), ("ActionID", action_id), ("Message", "Originate failed")])
        return ""
    s.send([("Response", "Success"), ("ActionID", action_id),
            ("Message", "Originate successfully queued")])  # fmt: skip
    flow = OriginateFlow(sim, msg)
    task = asyncio.create_task(flow.run())
    sim.calls.add(task)
    task.add_done_callback(sim.calls.discard)
    return ""


class OriginateFlow:
    def __init__(self, sim: PbxSimulator, msg: Mapping[str, str]) -> None:
        self.sim, self.msg = sim, dict(msg)
        self.requested = msg["Channel"]
        self.context, self.exten = msg["Context"], msg["Exten"]
        self.cid_num, self.cid_name = _cid(msg.get("CallerID", ""))
        self.timeout = int(msg.get("Timeout", "30000") or 30000) / 1000
        self.plan = sim.dial_plans.get(self.exten, DialPlan())
        self.id_text = [("ActionID", msg["ActionID"])] if msg.get("ActionID") else []

    def _legs(self) -> tuple[Channel, Channel]:
        sim = self.sim
        seq = sim.next_local()
        ext, _, ctx = self.requested[len("Local/") :].partition("@")
        ctx = ctx.split("/", 1)[0]
        one = sim.new_channel(f"Local/{ext}@{ctx}-{seq:08x};1", ctx, ext)
        if self.msg.get("ChannelId"):
            sim.channels.pop(one.uniqueid, None)
            one.uniqueid = one.linkedid = self.msg["ChannelId"]
            sim.channels[one.uniqueid] = one
        two = sim.new_channel(f"Local/{ext}@{ctx}-{seq:08x};2", ctx, ext, linkedid=one.linkedid)
        two.state, two.application, two.app_data = 4, "Wait", "3600"
        return one, two

    def _response(self, ok: bool, channel: str, uniqueid: str, extra: Pairs) -> Pairs:
        return [("Event", "OriginateResponse"), ("Privilege", "call,all"), *self.id_text,
                ("Response", "Success" if ok else "Failure"), ("Channel", channel),
                ("Context", self.context), ("Exten", self.exten),
                ("Reason", "4" if ok else "3"), ("Uniqueid", uniqueid),
                ("CallerIDNum", self.cid_num), ("CallerIDName", self.cid_name), *extra]  # fmt: skip

    async def run(self) -> None:
        sim = self.sim
        one, two = self._legs()
        for ch in (one, two):
            sim.emit(_ev("Newchannel", ch))
        one.number, one.cid_name, one.pres = self.cid_num, self.cid_name, ALLOWED
        one.connected_num = self.exten
        sim.emit(_ev("NewCallerid", one, ("CID-CallingPres", ALLOWED_TXT)))
        legs = [one, two]
        try:
            if sim.operator_unanswered(self.requested) or self.plan.operator_ring > self.timeout:
                await sim.sleep(self.timeout)
                for ch in (two, one):
                    sim.hangup(ch, 19, "User alerting, no answer")
                uid = self.msg.get("ChannelId") or "<unknown>"
                sim.emit(self._response(False, self.requested, uid, []))
                return
            await sim.sleep(self.plan.operator_ring)
            for ch in (two, one):
                ch.state = 6
                sim.emit(_ev("Newstate", ch))
            var = (f"ChanVariable({one.name})", f"CALLERID(pres)={one.pres}")
            sim.emit(self._response(True, one.name, one.uniqueid, [var]))
            legs.append(await self._dial(one))
        finally:
            for ch in legs[::-1]:
                if ch.uniqueid in sim.channels:
                    sim.hangup(ch, 16, "Normal Clearing")

    async def _dial(self, one: Channel) -> Channel:
        sim, plan = self.sim, self.plan
        one.context, one.exten, one.priority = self.context, self.exten, 1
        one.application, one.app_data = "Dial", f"PJSIP/{self.exten}@trunk,60"
        sim.emit(_ev("Newexten", one, ("Extension", self.exten), ("Application", "Dial"),
                     ("AppData", one.app_data), privilege="dialplan,all"))  # fmt: skip
        trunk = sim.new_channel(f"PJSIP/trunk-{sim.next_local():08x}", "from-trunk", "s",
                                linkedid=one.linkedid)  # fmt: skip
        trunk.number, trunk.cid_name = self.exten, "<unknown>"
        trunk.connected_num, trunk.connected_name = self.cid_num, self.cid_name
        trunk.pres = ALLOWED
        sim.emit(_ev("Newchannel", trunk))
        sim.emit(_ev("DialBegin", one, ("DialString", f"{self.exten}@trunk"), dest=trunk))
        trunk.state = 5
        sim.emit(_ev("Newstate", trunk))
        sim.emit(_ev("DialState", one, ("DialStatus", "RINGING"), dest=trunk))
        if plan.result != "answer":
            await sim.sleep(plan.ring)
            status = "BUSY" if plan.result == "busy" else "NOANSWER"
            sim.emit(_ev("DialEnd", one, ("DialStatus", status), dest=trunk))
            cause = (17, "User busy") if plan.result == "busy" else (19, "User alerting, no answer")
            sim.hangup(trunk, *cause)
            return trunk
        await sim.sleep(plan.ring)
        trunk.state = 6
        sim.emit(_ev("Newstate", trunk))
        sim.emit(_ev("DialEnd", one, ("DialStatus", "ANSWER"), dest=trunk))
        await sim.sleep(plan.talk)
        sim.hangup(trunk, 16, "Normal Clearing")
        return trunk
