"""Typed application keys: everything a handler needs lives on the app under one of these."""

from __future__ import annotations

from typing import Any

from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from cti_server.config import Settings

SETTINGS = web.AppKey("settings", Settings)
ENGINE = web.AppKey("engine", AsyncEngine)
SESSIONS = web.AppKey("sessions", async_sessionmaker[AsyncSession])
SIGNER = web.AppKey("signer", "TokenSigner")
LIMITER = web.AppKey("login_limiter", "LoginLimiter")
HUB = web.AppKey("hub", "Hub")
METRICS = web.AppKey("metrics", "Metrics")
SERVICE = web.AppKey("service", "CallService")
BRIDGE = web.AppKey("bridge", Any)  # AmiBridge or a fake with .connected/.queue_pause, or None
BUS = web.AppKey("bus", Any)  # cti_server.bus.Bus when redis_url is set, else None
NAME_INDEX = web.AppKey("name_index", Any)  # registry.find.search.NameIndex, loaded at start
