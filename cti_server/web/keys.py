"""Typed application keys: everything a handler needs lives on the app under one of these."""

from __future__ import annotations

from collections.abc import Sequence
from ipaddress import IPv4Network, IPv6Network
from typing import Any

from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from cti_server.config import Settings
from cti_server.web.tokens import AccountStates

SETTINGS = web.AppKey("settings", Settings)
ENGINE = web.AppKey("engine", AsyncEngine)
SESSIONS = web.AppKey("sessions", async_sessionmaker[AsyncSession])
SIGNER = web.AppKey("signer", "TokenSigner")
LIMITER = web.AppKey("login_limiter", "AddressLimiter")
ACCOUNTS = web.AppKey("account_states", AccountStates)  # token generations, cached
# networks whose X-Forwarded-For is believed
TRUSTED: web.AppKey[Sequence[IPv4Network | IPv6Network]] = web.AppKey("trusted_proxies")
HUB = web.AppKey("hub", "Hub")
METRICS = web.AppKey("metrics", "Metrics")
SERVICE = web.AppKey("service", "CallService")
BRIDGE = web.AppKey("bridge", Any)  # AmiBridge or a fake with .connected/.queue_pause
NAME_INDEX = web.AppKey("name_index", Any)  # registry.find.search.NameIndex, loaded at start
