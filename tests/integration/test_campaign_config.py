"""Campaign settings stored as versions, on both databases: the default until someone saves, each
save a new version, a save over a stale version refused naming the current one, bad values
refused naming the field, every save audited and listed in the history."""

from __future__ import annotations

import datetime as dt

import pytest

from registry import campaign_config as cc
from registry.audit import audit_entries
from registry.errors import Conflict, InvalidInput
from registry.operators import create_operator

CODES = [
    {"code": "booked", "ja": "予約", "en": "Booked"},
    {"code": "no_show_call", "ja": "欠席連絡", "en": "No-show call"},
]
POLICY = {"max_attempts": 5, "interval_minutes": 30, "earliest": "10:00", "latest": "18:30",
          "claim_minutes": 10}  # fmt: skip


async def admin(s) -> int:
    op = await create_operator(s, "admin1", "a long enough password", role="admin")
    await s.commit()
    return op.id


async def test_default_until_saved_then_versions_in_order(sessions):
    async with sessions() as s:
        who = await admin(s)
        fallback = [{"code": "x", "ja": "x", "en": "x"}]
        first = await cc.current(s, cc.DISPOSITIONS, fallback)
        assert (first.version, first.value, first.created_by) == (0, fallback, None)
        assert (await cc.current(s, cc.MOBILITY_OPTIONS)).value == cc.DEFAULTS[cc.MOBILITY_OPTIONS]
        saved = await cc.put(s, cc.DISPOSITIONS, CODES, version=0, operator_id=who)
        await s.commit()
        assert saved.version == 1
        again = await cc.put(s, cc.DISPOSITIONS, CODES[:1], version=1, operator_id=who)
        await s.commit()
        assert again.version == 2
    async with sessions() as s:
        now = await cc.current(s, cc.DISPOSITIONS, [])
        assert (now.version, now.value, now.created_by) == (2, CODES[:1], who)
        assert [v.version for v in await cc.history(s, cc.DISPOSITIONS)] == [2, 1]
        assert [v.value for v in await cc.history(s, cc.DISPOSITIONS)] == [CODES[:1], CODES]
        assert await cc.history(s, cc.RETRY_POLICY) == []
        everything = await cc.current_all(s, {cc.RETRY_POLICY: POLICY})
        assert [v.key for v in everything] == list(cc.KEYS)
        assert everything[1].value == POLICY
        entries = [e for e in await audit_entries(s) if e.action == "config.change"]
        assert [e.details for e in entries] == [{"key": "dispositions", "version": 2},
                                                {"key": "dispositions", "version": 1}]  # fmt: skip
        assert {e.operator_id for e in entries} == {who}


async def test_a_stale_version_is_refused_naming_the_current_one(sessions):
    async with sessions() as s:
        who = await admin(s)
        await cc.put(s, cc.RETRY_POLICY, POLICY, version=0, operator_id=who)
        await s.commit()
    async with sessions() as s:
        with pytest.raises(Conflict) as err:
            await cc.put(s, cc.RETRY_POLICY, {**POLICY, "max_attempts": 2}, version=0,
                         operator_id=who)  # fmt: skip
        assert err.value.details == {"key": "retry_policy", "current_version": 1}
        assert "version is 1" in err.value.message
    async with sessions() as s:
        assert (await cc.current(s, cc.RETRY_POLICY)).value == POLICY
        with pytest.raises(Conflict):  # ahead of what is stored is stale too
            await cc.put(s, cc.RETRY_POLICY, POLICY, version=5, operator_id=who)


@pytest.mark.parametrize(
    ("key", "value", "field"),
    [
        (cc.DISPOSITIONS, [], "value"),
        (cc.DISPOSITIONS, {"code": "a"}, "value"),
        (cc.DISPOSITIONS, [{"code": "Booked", "ja": "予約", "en": "B"}], "value[0].code"),
        (cc.DISPOSITIONS, [{"code": "a" * 25, "ja": "予約", "en": "B"}], "value[0].code"),
        (cc.DISPOSITIONS, [CODES[0], CODES[0]], "value[1].code"),
        (cc.DISPOSITIONS, [{"code": "a", "ja": "", "en": "A"}], "value[0].ja"),
        (cc.DISPOSITIONS, [{"code": "a", "ja": "あ", "en": "A\nB"}], "value[0].en"),
        (cc.DISPOSITIONS, [{"code": "a", "ja": "あ", "en": "A", "x": 1}], "value[0]"),
        (cc.MOBILITY_OPTIONS, [{"code": "1x", "ja": "あ", "en": "A"}], "value[0].code"),
        (cc.RETRY_POLICY, {**POLICY, "max_attempts": 0}, "max_attempts"),
        (cc.RETRY_POLICY, {**POLICY, "max_attempts": True}, "max_attempts"),
        (cc.RETRY_POLICY, {**POLICY, "interval_minutes": "30"}, "interval_minutes"),
        (cc.RETRY_POLICY, {**POLICY, "earliest": "9:00"}, "earliest"),
        (cc.RETRY_POLICY, {**POLICY, "latest": "25:00"}, "latest"),
        (cc.RETRY_POLICY, {**POLICY, "earliest": "19:00", "latest": "09:00"}, "latest"),
        (cc.RETRY_POLICY, {"max_attempts": 3}, "value"),
        (cc.INTENT_QUESTIONS, {"needs_mobility": "yes"}, "needs_mobility"),
        (cc.INTENT_QUESTIONS, {"wants_vaccination": False}, "value"),
        ("colours", [], "key"),
    ],
)
async def test_bad_values_are_refused_naming_the_field(sessions, key, value, field):
    async with sessions() as s:
        who = await admin(s)
        with pytest.raises(InvalidInput) as err:
            await cc.put(s, key, value, version=0, operator_id=who)
        assert err.value.field == field
        await s.rollback()
        assert await cc.history(s, cc.DISPOSITIONS) == []


def test_a_retry_policy_value_is_the_policy():
    policy = cc.retry_policy(POLICY, "Asia/Tokyo")
    assert policy.max_attempts == 5
    assert policy.interval == dt.timedelta(minutes=30)
    assert (policy.earliest, policy.latest) == (dt.time(10), dt.time(18, 30))
    assert policy.claim_ttl == dt.timedelta(minutes=10)
    assert cc.retry_value(policy) == POLICY
