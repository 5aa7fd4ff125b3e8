"""Click-to-dial and worklist settings: parsed into the retry policy, bad values named; the
digits the outbound route dials."""

from __future__ import annotations

import datetime as dt

import pytest

from cti_server.callbacks import dial_string
from cti_server.config import ConfigError, load_settings


def test_the_retry_policy_comes_from_the_settings():
    s = load_settings(env={"CTI_WORKLIST_HOURS": "08:30-17:00", "CTI_WORKLIST_MAX_ATTEMPTS": "5"})
    p = s.retry_policy
    assert (p.earliest, p.latest, p.max_attempts) == (dt.time(8, 30), dt.time(17), 5)
    assert p.interval == dt.timedelta(hours=2)


@pytest.mark.parametrize(
    ("env", "named"),
    [
        ({"CTI_WORKLIST_HOURS": "19:00-09:00"}, "worklist_"),
        ({"CTI_WORKLIST_HOURS": "9-5"}, "worklist_"),
        ({"CTI_WORKLIST_MAX_ATTEMPTS": "0"}, "worklist_"),
        ({"CTI_DIAL_CHANNEL": "PJSIP/1001"}, "dial_channel"),
        ({"CTI_DIAL_CONTEXT": " "}, "dial_context"),
    ],
)
def test_bad_values_are_named(env, named):
    with pytest.raises(ConfigError, match=named):
        load_settings(env=env)


def test_dial_string():
    assert dial_string("+81773621234") == "0773621234"
    assert dial_string("+819012345678", "0") == "009012345678"
    assert dial_string("+12025550123") == "01012025550123"
