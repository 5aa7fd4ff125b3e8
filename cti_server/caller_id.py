"""Who is calling, as the pop shows it and the call record stores it: the one place that
decides "withheld" and "no number".

The translator (``cti_server.ami``) sets ``Caller.withheld`` from what the PBX says
(prohibited presentation, or an ``anonymous`` number); the ledger's ``normalize_caller_id``
reads the number itself (``P``, ``非通知``, ``<unknown>``, a payphone, a real number). A caller is
withheld when either says so; then nothing of the number or name is shown, looked up or
stored, only the fact (and the raw text when that text itself says "withheld"). Identities are
cached per tracker ``Caller`` (an immutable value), so a call's many changes cost one
normalization.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

from cti_server import protocol
from cti_server.domain.calls import Caller
from registry.normalize.phone import normalize_caller_id

WITHHELD = protocol.CallerInfo(status="withheld")


@dataclass(frozen=True, slots=True)
class Identity:
    """``info``: what a pop shows; ``e164``: what the ledger is asked ("" for nothing);
    ``record``: the caller fields of the call record."""

    info: protocol.CallerInfo
    e164: str
    record: tuple[tuple[str, str], ...]

    @property
    def withheld(self) -> bool:
        return self.info.status == "withheld"


@functools.lru_cache(maxsize=4096)
def identify(caller: Caller, default_area_code: str) -> Identity:
    cn = normalize_caller_id(caller.raw_number, default_area_code=default_area_code)
    if caller.withheld or cn.status == "withheld":
        raw = caller.raw_number if cn.status == "withheld" else ""  # never a hidden number
        return Identity(WITHHELD, "", _fields(raw, "", caller.presentation, "withheld", ""))
    info = protocol.CallerInfo(
        status=cn.status,
        e164=cn.e164,
        display=cn.national if cn.e164 else "",
        kind=cn.kind,
        name=caller.name if cn.status == "number" else "",
    )
    e164 = cn.e164 or ""
    record = _fields(caller.raw_number, caller.raw_name, caller.presentation, cn.status, e164)
    return Identity(info, e164, record)


def _fields(
    raw: str, name: str, presentation: str, status: str, e164: str
) -> tuple[tuple[str, str], ...]:
    return (
        ("caller_raw", raw),
        ("caller_name_raw", name),
        ("presentation", presentation),
        ("caller_status", status),
        ("caller_e164", e164),  # "" overwrites a stored number; None would not
    )
