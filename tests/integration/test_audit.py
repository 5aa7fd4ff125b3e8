"""The audit log: entries appended by audit(), refused changes, input checks."""

from __future__ import annotations

import pytest
from sqlalchemy import delete, update
from sqlalchemy.exc import DBAPIError

from registry.audit import audit, audit_entries
from registry.errors import InvalidInput
from registry.models import AuditEntry
from tests.integration.test_bookings import make_resident


async def test_audit_appends_and_cannot_be_rewritten(sessions):
    async with sessions() as s:
        rid = await make_resident(s)
        await audit(s, "resident.view", operator_id=None, resident_id=rid, call_linkedid="1.1")
        await audit(
            s, "resident.view", operator_id=None, resident_id=rid, details={"via": "search"}
        )
        await s.commit()
        got = await audit_entries(s, resident_id=rid)
        assert [(e.call_linkedid, e.details) for e in got] == [
            (None, {"via": "search"}),
            ("1.1", {}),
        ]
        assert got[0].at.tzinfo is not None
    async with sessions() as s:
        with pytest.raises(DBAPIError):
            await s.execute(update(AuditEntry).values(action="edited"))
        await s.rollback()
        with pytest.raises(DBAPIError):
            await s.execute(delete(AuditEntry))
        await s.rollback()
        assert len(await audit_entries(s)) == 2


async def test_audit_checks_its_input(sessions):
    async with sessions() as s:
        for action, details, field in [
            ("", None, "action"),
            ("x" * 49, None, "action"),
            ("resident.view", {"bad": object()}, "details"),
        ]:
            with pytest.raises(InvalidInput) as info:
                await audit(s, action, operator_id=None, details=details)
            assert info.value.field == field
