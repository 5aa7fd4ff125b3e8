"""A failed statement's error text carries no statement parameters, and the server's ERROR log
of a failed request carries neither them nor the database's own message (PostgreSQL repeats key
values and whole rows there): no address, name or phone number of a resident is logged."""

from __future__ import annotations

import logging

import pytest
from aiohttp import web
from sqlalchemy.exc import IntegrityError

from cti_server.web.errors import error_middleware
from registry.models import Household

SECRET_ADDRESS = "京都府舞鶴市秘密町9-9-9 山田太郎方 090-1234-5678"


async def _duplicate(sessions) -> None:
    async with sessions() as s:
        s.add(Household(household_no="H-LOG-0901234", address=SECRET_ADDRESS))
        await s.commit()


async def test_statement_errors_hide_their_parameters(sessions):
    await _duplicate(sessions)
    with pytest.raises(IntegrityError) as info:
        await _duplicate(sessions)
    assert "[SQL parameters hidden" in str(info.value)
    assert "秘密町" not in str(info.value)


async def test_a_failed_request_logs_no_personal_data(sessions, aiohttp_client, caplog):
    async def handler(request: web.Request) -> web.Response:
        await _duplicate(sessions)
        return web.Response()

    app = web.Application(middlewares=[error_middleware])
    app.router.add_post("/x", handler)
    client = await aiohttp_client(app)
    with caplog.at_level(logging.ERROR):
        assert (await client.post("/x")).status == 200
        assert (await client.post("/x")).status == 500
    logged = caplog.text
    assert "IntegrityError" in logged
    assert "_duplicate" in logged  # where it failed
    assert "秘密町" not in logged
    assert "0901234" not in logged
