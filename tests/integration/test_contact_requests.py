"""Residents' requests to be contacted (registry.contact_requests) on SQLite and PostgreSQL:
stored open and audited, a resend while open gives the first back, only the resident's own
booking, bad input named by field, closed by the call center (audited)."""

from __future__ import annotations

import pytest

from registry import contact_requests
from registry.audit import AuditAction, audit_entries
from registry.db import session_factory
from registry.errors import InvalidInput, NotFound
from tests.integration.resident_helpers import seed


async def test_requests_are_stored_once_listed_and_closed(engine):
    ledger = await seed(engine)
    async with session_factory(engine)() as s:
        first = await contact_requests.add(
            s, resident_id=ledger.resident_id, kind="reschedule", note=" 午後に ",
            booking_id=ledger.booking_id, source="203.0.113.5",
        )  # fmt: skip
        again = await contact_requests.add(
            s, resident_id=ledger.resident_id, kind="reschedule", note="午後に",
            booking_id=ledger.booking_id,
        )  # fmt: skip
        other = await contact_requests.add(s, resident_id=ledger.neighbour_id, kind="other")
        await s.commit()
    assert again == first
    assert (first.note, first.status, first.channel) == ("午後に", "open", "web")
    async with session_factory(engine)() as s:
        assert [r.request_id for r in await contact_requests.open_requests(s)] == [
            first.request_id, other.request_id
        ]  # fmt: skip
        mine = await contact_requests.open_requests(s, resident_id=ledger.resident_id)
        assert [r.request_id for r in mine] == [first.request_id]
        closed = await contact_requests.close_request(
            s, first.request_id, operator_id=None, call_linkedid="1700.1"
        )
        await s.commit()
        assert closed.status == "done"
        assert [r.request_id for r in await contact_requests.open_requests(s)] == [other.request_id]
        entries = await audit_entries(s, resident_id=ledger.resident_id)
    actions = [e.action for e in reversed(entries)]
    assert actions == [AuditAction.CONTACT_REQUEST, AuditAction.CONTACT_CLOSE]
    assert entries[-1].details == {"request_id": first.request_id, "kind": "reschedule",
                                   "channel": "web", "source": "203.0.113.5"}  # fmt: skip


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [({"kind": "move"}, "kind"), ({"kind": "other", "note": "x" * 501}, "note"),
     ({"kind": "other", "channel": "fax"}, "channel")],
)  # fmt: skip
async def test_bad_requests_name_their_field(engine, kwargs, field):
    ledger = await seed(engine)
    async with session_factory(engine)() as s:
        with pytest.raises(InvalidInput) as err:
            await contact_requests.add(s, resident_id=ledger.resident_id, **kwargs)
    assert err.value.field == field


async def test_only_the_residents_own_booking(engine):
    ledger = await seed(engine)
    async with session_factory(engine)() as s:
        with pytest.raises(InvalidInput) as err:
            await contact_requests.add(s, resident_id=ledger.resident_id, kind="cancel",
                                       booking_id=ledger.neighbour_booking_id)  # fmt: skip
        assert err.value.field == "booking_id"
        with pytest.raises(NotFound):
            await contact_requests.add(s, resident_id=9999, kind="cancel")
        assert await contact_requests.open_requests(s) == []
