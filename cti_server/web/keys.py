"""Typed application keys: everything a handler needs lives on the app under one of these."""

from __future__ import annotations

from collections.abc import Sequence
from ipaddress import IPv4Network, IPv6Network
from typing import TYPE_CHECKING

from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from cti_server.config import Settings
from cti_server.web.tokens import AccountStates

if TYPE_CHECKING:
    import asyncio

    from cti_server.bus import Bus
    from cti_server.caller_lookup import LedgerLookup
    from cti_server.metrics import Metrics
    from cti_server.service import Bridge, CallService
    from cti_server.web.hub import Hub
    from cti_server.web.limiter import AddressLimiter
    from cti_server.web.tokens import TokenSigner
    from registry.find.search import NameIndex

SETTINGS = web.AppKey("settings", Settings)
ENGINE = web.AppKey("engine", AsyncEngine)
SESSIONS = web.AppKey("sessions", async_sessionmaker[AsyncSession])
SIGNER: web.AppKey[TokenSigner] = web.AppKey("signer")
LIMITER: web.AppKey[AddressLimiter] = web.AppKey("login_limiter")
ACCOUNTS = web.AppKey("account_states", AccountStates)  # token generations, cached
# networks whose X-Forwarded-For is believed
TRUSTED: web.AppKey[Sequence[IPv4Network | IPv6Network]] = web.AppKey("trusted_proxies")
HUB: web.AppKey[Hub] = web.AppKey("hub")
METRICS: web.AppKey[Metrics] = web.AppKey("metrics")
SERVICE: web.AppKey[CallService] = web.AppKey("service")
BRIDGE: web.AppKey[Bridge | None] = web.AppKey("bridge")  # AmiBridge, a fake, or None
BUS: web.AppKey[Bus | None] = web.AppKey("bus")  # when redis_url is set
NAME_INDEX: web.AppKey[asyncio.Task[NameIndex]] = web.AppKey("name_index")  # loading at start
LOOKUP: web.AppKey[LedgerLookup] = web.AppKey("lookup")  # the pop's lookup and its phone index
