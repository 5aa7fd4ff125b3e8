"""cti_server.domain.evolve.replace: the same copies as dataclasses.replace, faster."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest

from cti_server.domain.agents import Member, MemberStatus
from cti_server.domain.calls import Call, Caller, CallState
from cti_server.domain.evolve import replace

AT = dt.datetime(2026, 12, 6, 9, 0, tzinfo=dt.UTC)


def test_a_call_copied_with_changes_equals_the_dataclasses_copy() -> None:
    call = Call("1.0", CallState.QUEUED, Caller(raw_number="0773621234"), AT, queue="vaccine")
    got = replace(call, state=CallState.RINGING, ringing=("Local/1001@operators/n",))
    want = dataclasses.replace(call, state=CallState.RINGING, ringing=("Local/1001@operators/n",))
    assert got == want
    assert got is not call
    assert call.state is CallState.QUEUED  # the original is untouched
    assert replace(call) == call
    with pytest.raises(dataclasses.FrozenInstanceError):
        got.queue = "x"  # type: ignore[misc]


def test_a_member_copy_and_an_unknown_field() -> None:
    m = Member("vaccine", "Local/1001@operators/n", "Operator 1001", MemberStatus.AVAILABLE, AT)
    assert replace(m, paused=True) == dataclasses.replace(m, paused=True)
    with pytest.raises(TypeError, match="no field"):
        replace(m, nope=1)


def test_other_dataclasses_go_to_dataclasses_replace() -> None:
    @dataclasses.dataclass(frozen=True)
    class Checked:
        n: int

        def __post_init__(self) -> None:
            if self.n < 0:
                raise ValueError("negative")

    assert replace(Checked(1), n=2) == Checked(2)
    with pytest.raises(ValueError, match="negative"):
        replace(Checked(1), n=-1)  # its __post_init__ still runs
