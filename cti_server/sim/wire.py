"""AMI wire format of the simulator: messages as ordered key/value pairs, and the snapshots
Asterisk 22 puts in its events (key order as in the recorded streams)."""

from __future__ import annotations

from dataclasses import dataclass, field

Pairs = list[tuple[str, str]]
STATE_DESC = {0: "Down", 4: "Ring", 5: "Ringing", 6: "Up"}


def encode(pairs: Pairs) -> bytes:
    return ("".join(f"{k}: {v}\r\n" for k, v in pairs) + "\r\n").encode()


@dataclass
class Channel:
    name: str
    uniqueid: str
    linkedid: str
    context: str
    exten: str
    created: float  # simulated seconds
    number: str = "<unknown>"
    cid_name: str = "<unknown>"
    connected_num: str = "<unknown>"
    connected_name: str = "<unknown>"
    pres: str = "unavailable"
    state: int = 0
    priority: int = 1
    application: str = ""
    app_data: str = ""
    bridge_id: str = ""
    extra: dict[str, str] = field(default_factory=dict)

    def snapshot(self, prefix: str = "") -> Pairs:
        p = prefix
        return [
            (f"{p}Channel", self.name),
            (f"{p}ChannelState", str(self.state)),
            (f"{p}ChannelStateDesc", STATE_DESC.get(self.state, "Unknown")),
            (f"{p}CallerIDNum", self.number),
            (f"{p}CallerIDName", self.cid_name),
            (f"{p}ConnectedLineNum", self.connected_num),
            (f"{p}ConnectedLineName", self.connected_name),
            (f"{p}Language", "en"),
            (f"{p}AccountCode", ""),
            (f"{p}Context", self.context),
            (f"{p}Exten", self.exten),
            (f"{p}Priority", str(self.priority)),
            (f"{p}Uniqueid", self.uniqueid),
            (f"{p}Linkedid", self.linkedid),
            (f"{p}ChanVariable", f"CALLERID(pres)={self.pres}"),
        ]


@dataclass
class Member:
    queue: str
    name: str
    interface: str
    membership: str = "static"
    calls_taken: int = 0
    last_call: int = 0
    last_pause: int = 0
    login_time: int = 0
    in_call: bool = False
    status: int = 1
    paused: bool = False
    reason: str = ""
    busy: bool = False  # ringing or talking for a simulated call

    @property
    def extension(self) -> str:
        return self.interface.split("/", 1)[1].split("@", 1)[0]

    def fields(self, name_key: str = "MemberName", iface_key: str = "Interface") -> Pairs:
        return [
            ("Queue", self.queue),
            (name_key, self.name),
            (iface_key, self.interface),
            ("StateInterface", self.interface),
            ("Membership", self.membership),
            ("Penalty", "0"),
            ("CallsTaken", str(self.calls_taken)),
            ("LastCall", str(self.last_call)),
            ("LastPause", str(self.last_pause)),
            ("LoginTime", str(self.login_time)),
            ("InCall", "1" if self.in_call else "0"),
            ("Status", str(self.status)),
            ("Paused", "1" if self.paused else "0"),
            ("PausedReason", self.reason),
        ]

    def event(self, name: str) -> Pairs:
        return [
            ("Event", name),
            ("Privilege", "agent,all"),
            *self.fields(),
            ("Ringinuse", "0"),
            ("Wrapuptime", "0"),
        ]
