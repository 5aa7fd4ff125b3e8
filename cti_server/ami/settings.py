"""Settings of the PBX bridge, its states, and the reconnect backoff (pure, no I/O)."""

from __future__ import annotations

import random
from dataclasses import dataclass, field

# Values of AmiBridge.state (passed to on_state on every change)
CONNECTING, CONNECTED, DISCONNECTED, AUTH_FAILED, CLOSED = (
    "connecting",
    "connected",
    "disconnected",
    "auth_failed",
    "closed",
)


@dataclass(frozen=True)
class AmiSettings:
    """How to reach Asterisk AMI; all durations in seconds."""

    host: str = "127.0.0.1"
    port: int = 5038
    username: str = "cti"
    secret: str = field(default="", repr=False)
    ping_interval: float = 20.0  # keep-alive Ping every ...
    ping_timeout: float = 5.0  # ... whose reply must come within this, or the link is dead
    reconnect_min: float = 0.5  # first reconnect delay; doubles per failure (with jitter) ...
    reconnect_max: float = 3.0  # ... up to this: back within seconds once the PBX answers
    connect_timeout: float = 5.0  # TCP connect + banner, and the Login answer
    action_timeout: float = 5.0  # answer to an action such as QueuePause
    resync_timeout: float = 15.0  # all three resync lists complete
    auth_retry: float | None = 30.0  # after a refused login, retry every ... (None: stop)


def backoff_delay(settings: AmiSettings, failures: int, rng: random.Random) -> float:
    """Delay before the next connect: exponential from ``reconnect_min``, capped at
    ``reconnect_max``, with "equal jitter" (half fixed, half random) so that many servers
    restarted together do not reconnect in step."""
    ceiling = min(settings.reconnect_max, settings.reconnect_min * 2.0 ** min(failures, 30))
    return ceiling / 2 + rng.uniform(0, ceiling / 2)
