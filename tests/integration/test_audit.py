"""The audit log: entries appended by audit(), refused changes, input checks."""

from __future__ import annotations

import pytest
from sqlalchemy import delete, update
from sqlalchemy.exc import DBAPIError

from registry.audit import AuditAction, audit, audit_entries
from registry.errors import InvalidInput
from registry.models import AuditEntry
from tests.integration.test_bookings import make_resident


async def test_audit_appends_and_cannot_be_rewritten(sessions):
    async with sessions() as s:
        rid = await make_resident(s)
        await audit(
            s, AuditAction.RESIDENT_VIEW, operator_id=None, resident_id=rid, call_linkedid="1.1"
        )
        await audit(
            s,
            AuditAction.RESIDENT_VIEW,
            operator_id=None,
            resident_id=rid,
            details={"via": "search"},
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
            ("resident.view", None, "action"),  # the value, not the member: one spelling only
            ("resident_view", None, "action"),
            (AuditAction.RESIDENT_VIEW, {"bad": object()}, "details"),
        ]:
            with pytest.raises(InvalidInput) as info:
                await audit(s, action, operator_id=None, details=details)
            assert info.value.field == field


def test_audit_actions_have_one_spelling_and_read_old_entries():
    values = [a.value for a in AuditAction]
    assert all(v.count(".") == 1 and v == v.lower() and "_" not in v.split(".")[0] for v in values)
    assert AuditAction.of("resident_view") is AuditAction.RESIDENT_VIEW
    assert AuditAction.of("booking.create") is AuditAction.BOOKING_CREATE
    assert AuditAction.of("edited") is None
