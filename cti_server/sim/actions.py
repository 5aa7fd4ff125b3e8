"""The AMI actions the simulator answers (responses shaped like Asterisk 22's)."""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from typing import TYPE_CHECKING

from cti_server.sim.originate import originate
from cti_server.sim.wire import Member, Pairs

if TYPE_CHECKING:
    from cti_server.sim.server import PbxSimulator, Session

log = logging.getLogger(__name__)


def _resp(msg: Mapping[str, str], text: str, status: str = "Success") -> Pairs:
    return [("Response", status), ("ActionID", msg.get("ActionID", "")), ("Message", text)]


def handle_action(sim: PbxSimulator, s: Session, msg: Mapping[str, str]) -> str:
    """Answer one action; returns "close" when the connection must be closed."""
    action = msg.get("Action", "").lower()
    if action == "login":
        return _login(sim, s, msg)
    if not s.authed:
        s.send(_resp(msg, "Permission denied", "Error"))
        return ""
    handler = HANDLERS.get(action)
    if handler is None or (sim.booting and action in QUEUE_ACTIONS):  # app_queue not loaded yet
        sim.refused.append(action)
        s.send(_resp(msg, "Invalid/unknown command", "Error"))
        return ""
    return handler(sim, s, msg)


def _login(sim: PbxSimulator, s: Session, msg: Mapping[str, str]) -> str:
    if msg.get("Username") != sim.username or msg.get("Secret") != sim.secret:
        s.send(_resp(msg, "Authentication failed", "Error"))
        s.close()
        return "close"
    s.authed = True
    s.events = msg.get("Events", "on").lower() not in ("off", "no", "false")
    s.send(_resp(msg, "Authentication accepted"))
    if s.events and not sim.booting:
        s.send([("Event", "FullyBooted"), ("Privilege", "system,all"),
                ("Uptime", str(int(sim.now()))), ("LastReload", str(int(sim.now()))),
                ("Status", "Fully Booted")])  # fmt: skip
    return ""


def _ping(sim: PbxSimulator, s: Session, msg: Mapping[str, str]) -> str:
    s.send([("Response", "Success"), ("ActionID", msg.get("ActionID", "")), ("Ping", "Pong"),
            ("Timestamp", f"{time.time():.6f}")])  # fmt: skip
    return ""


def _events(sim: PbxSimulator, s: Session, msg: Mapping[str, str]) -> str:
    s.events = msg.get("EventMask", "on").lower() not in ("off", "no", "false")
    s.send([("Response", "Success"), ("ActionID", msg.get("ActionID", "")),
            ("Events", "On" if s.events else "Off")])  # fmt: skip
    return ""


def _logoff(sim: PbxSimulator, s: Session, msg: Mapping[str, str]) -> str:
    s.send([("Response", "Goodbye"), ("ActionID", msg.get("ActionID", "")),
            ("Message", "Thanks for all the fish.")])  # fmt: skip
    s.close()
    return "close"


def _list(s: Session, msg: Mapping[str, str], text: str, items: list[Pairs], done: str) -> None:
    aid = msg.get("ActionID", "")
    s.send([("Response", "Success"), ("ActionID", aid), ("EventList", "start"), ("Message", text)])
    for item in items:
        s.send(item)
    s.send([("Event", done), ("ActionID", aid), ("EventList", "Complete"),
            ("ListItems", str(len(items)))])  # fmt: skip


def _core_show_channels(sim: PbxSimulator, s: Session, msg: Mapping[str, str]) -> str:
    aid, now = msg.get("ActionID", ""), sim.now()
    items = []
    for ch in sim.channels.values():
        d = int(now - ch.created)
        items.append([("Event", "CoreShowChannel"), ("ActionID", aid), *ch.snapshot(),
                      ("Application", ch.application), ("ApplicationData", ch.app_data),
                      ("Duration", f"{d // 3600:02d}:{d // 60 % 60:02d}:{d % 60:02d}"),
                      ("BridgeId", ch.bridge_id)])  # fmt: skip
    _list(s, msg, "Channels will follow", items, "CoreShowChannelsComplete")
    return ""


def _queue_status(sim: PbxSimulator, s: Session, msg: Mapping[str, str]) -> str:
    aid, q, now = msg.get("ActionID", ""), sim.queue_name, sim.now()
    items: list[Pairs] = [[
        ("Event", "QueueParams"), ("Queue", q), ("Max", "0"), ("Strategy", "rrmemory"),
        ("Calls", str(len(sim.waiting))), ("Holdtime", "0"), ("TalkTime", "0"),
        ("Completed", str(sim.completed)), ("Abandoned", str(sim.abandoned)),
        ("ServiceLevel", "0"), ("ServicelevelPerf", "0.0"), ("ServicelevelPerf2", "0.0"),
        ("Weight", "0"), ("ActionID", aid),
    ]]  # fmt: skip
    for m in sim.members:
        items.append([("Event", "QueueMember"), *m.fields("Name", "Location"),
                      ("Wrapuptime", "0"), ("ActionID", aid)])  # fmt: skip
    for i, flow in enumerate(sim.waiting, 1):
        two = flow.plan.channels[1]
        name = "unknown" if two.cid_name == "<unknown>" else two.cid_name
        num = "unknown" if two.number == "<unknown>" else two.number
        items.append([("Event", "QueueEntry"), ("Queue", q), ("Position", str(i)),
                      ("Channel", two.name), ("Uniqueid", two.uniqueid), ("CallerIDNum", num),
                      ("CallerIDName", name), ("ConnectedLineNum", num),
                      ("ConnectedLineName", name), ("Wait", str(int(now - flow.entered))),
                      ("Priority", "0"), ("ActionID", aid)])  # fmt: skip
    _list(s, msg, "Queue status will follow", items, "QueueStatusComplete")
    return ""


def _queue_summary(sim: PbxSimulator, s: Session, msg: Mapping[str, str]) -> str:
    aid, now = msg.get("ActionID", ""), sim.now()
    free = sum(1 for m in sim.members if not (m.paused or m.busy or m.in_call))
    longest = int(now - sim.waiting[0].entered) if sim.waiting else 0
    items: list[Pairs] = [[
        ("Event", "QueueSummary"), ("Queue", sim.queue_name), ("LoggedIn", str(len(sim.members))),
        ("Available", str(free)), ("Callers", str(len(sim.waiting))), ("HoldTime", "0"),
        ("TalkTime", "0"), ("LongestHoldTime", str(longest)), ("ActionID", aid),
    ]]  # fmt: skip
    _list(s, msg, "Queue summary will follow", items, "QueueSummaryComplete")
    return ""


def _find(sim: PbxSimulator, iface: str) -> Member | None:
    return next((m for m in sim.members if m.interface.lower() == iface.lower()), None)


def _queue_pause(sim: PbxSimulator, s: Session, msg: Mapping[str, str]) -> str:
    m = _find(sim, msg.get("Interface", ""))
    if m is None:
        s.send(_resp(msg, "Interface not found", "Error"))
        return ""
    m.paused = msg.get("Paused", "true").lower() in ("true", "yes", "1", "on")
    m.reason = msg.get("Reason", "") if m.paused else ""
    if m.paused:
        m.last_pause = sim.epoch()
    s.send(_resp(msg, f"Interface {'paused' if m.paused else 'unpaused'} successfully"))
    sim.emit(m.event("QueueMemberPause"))
    return ""


def _queue_add(sim: PbxSimulator, s: Session, msg: Mapping[str, str]) -> str:
    iface = msg.get("Interface", "")
    if not iface or _find(sim, iface) is not None:
        s.send(_resp(msg, "Unable to add interface: Already there", "Error"))
        return ""
    m = Member(sim.queue_name, msg.get("MemberName", iface), iface, "dynamic",
               login_time=sim.epoch())  # fmt: skip
    sim.members.append(m)
    s.send(_resp(msg, "Added interface to queue"))
    sim.emit(m.event("QueueMemberAdded"))
    return ""


def _queue_remove(sim: PbxSimulator, s: Session, msg: Mapping[str, str]) -> str:
    m = _find(sim, msg.get("Interface", ""))
    if m is None:
        s.send(_resp(msg, "Unable to remove interface: Not there", "Error"))
        return ""
    sim.members.remove(m)
    s.send(_resp(msg, "Removed interface from queue"))
    sim.emit(m.event("QueueMemberRemoved"))
    return ""


QUEUE_ACTIONS = ("queuestatus", "queuesummary", "queuepause", "queueadd", "queueremove")
HANDLERS = {
    "ping": _ping,
    "events": _events,
    "logoff": _logoff,
    "coreshowchannels": _core_show_channels,
    "queuestatus": _queue_status,
    "queuesummary": _queue_summary,
    "queuepause": _queue_pause,
    "queueadd": _queue_add,
    "queueremove": _queue_remove,
    "originate": originate,
}
