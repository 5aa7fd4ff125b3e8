"""Log-in, log-out, the authenticated caller of every request and socket, and revocation.

- ``login``: the per-address limiter (``limiter``) first, then the registry's check (lockout per
  username and source), then the log-in is bound to the extension typed, which must be one the
  operator is allowed (``extension_not_allowed`` otherwise); the token (``tokens``) carries it.
- ``auth_middleware`` verifies a bearer token once per request and checks its generation against
  the account (cached briefly); ``principal(request, *roles)`` gives the caller to handlers.
- ``logout`` revokes the account's tokens (its generation goes up) and closes its sockets here;
  ``auth_ctx`` closes the sockets of revoked accounts on every instance within
  ``revocation_check_seconds``: close code 4401, reason ``token_revoked``. A ``?token=`` socket
  (a browser) with a bad token is accepted and closed at once with 4401 and ``token_invalid`` or
  ``token_revoked``; a bearer-header socket gets 401 before the upgrade.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable

from aiohttp import web

from cti_server import protocol
from cti_server.web.errors import ExtensionNotAllowed, Forbidden, Unauthorized
from cti_server.web.keys import (
    ACCOUNTS,
    HUB,
    LIMITER,
    METRICS,
    SESSIONS,
    SETTINGS,
    SIGNER,
    TRUSTED,
)
from cti_server.web.limiter import client_address
from cti_server.web.payloads import answer
from cti_server.web.tokens import (
    TOKEN_REVOKED,
    Principal,
    invalid,
    reason_of,
)
from cti_server.web.validate import json_body, read_as
from registry import errors as reg
from registry import operators
from registry.views import OperatorView

log = logging.getLogger(__name__)

STAFF = ("operator", "supervisor", "admin")
MANAGERS = ("supervisor", "admin")
CLOSE_UNAUTHORIZED = 4401
QUERY_TOKEN_KIOSK_ONLY = "query_token_kiosk_only"
# the request's caller: the Principal, or the Unauthorized to raise when a handler asks
_CALLER = web.RequestKey("principal", object)


def bearer_token(request: web.Request) -> str | None:
    header = request.headers.get("Authorization", "")
    if header.lower().startswith("bearer "):
        return header[7:].strip()
    return None


async def verify(request: web.Request, token: str) -> Principal:
    """The token's principal if it is well signed, unexpired and not revoked."""
    who: Principal = request.app[SIGNER].verify(token)
    await request.app[ACCOUNTS].check(who)
    return who


@web.middleware
async def auth_middleware(
    request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
) -> web.StreamResponse:
    token = bearer_token(request)
    if token is not None and request.path != "/api/login":
        try:
            request[_CALLER] = await verify(request, token)
        except Unauthorized as err:
            request[_CALLER] = err
    return await handler(request)


def principal(request: web.Request, *roles: str) -> Principal:
    """The authenticated caller, who must hold one of ``roles`` (any role when none given)."""
    who = request.get(_CALLER)
    if isinstance(who, Unauthorized):
        raise who
    if not isinstance(who, Principal):
        raise invalid("missing bearer token")
    if roles and who.role not in roles:
        raise Forbidden(f"role {who.role} may not do this", details={"needs": list(roles)})
    return who


def authenticated(request: web.Request) -> bool:
    """Did the request carry a valid, unrevoked bearer token?"""
    return isinstance(request.get(_CALLER), Principal)


async def socket_principal(request: web.Request) -> Principal | web.WebSocketResponse:
    """The caller of /ws: a bearer header (the desktop client: 401 before the upgrade when it is
    bad), or ``?token=`` (a browser, which cannot read an HTTP status: the handshake is accepted
    and the socket closed at once with 4401 and the reason). Only a kiosk's token is taken from
    the URL (``query_token_kiosk_only`` otherwise): URLs end up in proxies' logs."""
    if request.get(_CALLER) is not None:
        return principal(request)
    try:
        token = request.query.get("token")
        if not token:
            raise invalid("missing bearer token")
        who = await verify(request, token)
        if who.role != "kiosk":  # a URL is logged by proxies: only a kiosk's token goes there
            raise Unauthorized(
                "only a kiosk's token may be given in the URL; send it in the Authorization header",
                details={"reason": QUERY_TOKEN_KIOSK_ONLY},
            )
        return who
    except Unauthorized as err:
        ws = web.WebSocketResponse()
        if not ws.can_prepare(request).ok:
            raise
        await ws.prepare(request)
        await ws.close(code=CLOSE_UNAUTHORIZED, message=reason_of(err).encode())
        log.info("ws: refused a socket (%s)", reason_of(err))
        return ws


def bind_extension(op: OperatorView, typed: str) -> str | None:
    """The extension this log-in answers: the one typed (if allowed), else the default."""
    if not typed:
        return op.extension
    if typed not in op.extensions:
        raise ExtensionNotAllowed(typed, list(op.extensions))
    return typed


async def login(request: web.Request) -> web.Response:
    app = request.app
    address = client_address(request, app[TRUSTED])
    await app[LIMITER].check(address)
    body = read_as(protocol.LoginRequest, await json_body(request))
    username, password, typed = body.username, body.password, body.extension
    async with app[SESSIONS]() as session:
        try:
            op = await operators.authenticate(session, username, password, source=address)
        except reg.AuthFailed:
            await app[LIMITER].failed(address)
            app[METRICS].inc("cti_logins_failed_total")
            log.info("login failed from %s", address)
            raise
        generation = (await operators.token_generations(session, [op.id])).get(op.id, 0)
    who = Principal(
        op.id, op.username, op.role, bind_extension(op, typed), op.display_name, generation,
        op.venue_id,
    )  # fmt: skip
    signer = app[SIGNER]
    log.info("operator %s logged in (role %s, extension %s)", op.id, op.role, who.extension)
    result = protocol.LoginResult(
        token=signer.issue(who), expires_in=signer.ttl_for(who.role) or None, operator=who.info()
    )
    return answer(result)


async def logout(request: web.Request) -> web.Response:
    """Revoke every token of the caller's account (this one included) and close its sockets."""
    who = principal(request)
    async with request.app[SESSIONS]() as session:
        await operators.revoke_tokens(session, who.id)
        await session.commit()
    request.app[ACCOUNTS].forget(who.id)
    await close_sockets(request.app, {who.id}, TOKEN_REVOKED)
    log.info("operator %s logged out", who.id)
    return web.Response(status=204)


async def close_sockets(app: web.Application, ids: set[int], reason: str) -> int:
    hub = app[HUB]
    doomed = [c for c in list(hub.clients) if c.who.id in ids]
    for client in doomed:
        hub.remove(client)
        with contextlib.suppress(Exception):
            await asyncio.wait_for(
                client.ws.close(code=CLOSE_UNAUTHORIZED, message=reason.encode()), 2.0
            )
    return len(doomed)


async def sweep(app: web.Application) -> int:
    """Close the sockets whose token was revoked (on any instance); how many."""
    clients = list(app[HUB].clients)
    if not clients:
        return 0
    gens = await app[ACCOUNTS].current(sorted({c.who.id for c in clients}))
    stale = {c.who.id for c in clients if gens.get(c.who.id) != c.who.generation}
    if stale:
        log.info("closing the sockets of operators %s: tokens revoked", sorted(stale))
    return await close_sockets(app, stale, TOKEN_REVOKED) if stale else 0


async def auth_ctx(app: web.Application) -> AsyncIterator[None]:
    """The revocation sweep (after the database); closes the login limiter at the end. The
    signer, account-state cache, limiter and trusted proxies are built by ``bootstrap``."""
    settings = app[SETTINGS]

    async def keep_sweeping() -> None:
        while True:
            await asyncio.sleep(settings.revocation_check_seconds)
            try:
                await sweep(app)
            except Exception:
                log.exception("revocation sweep failed; the next one will try again")

    task = asyncio.create_task(keep_sweeping(), name="revocation-sweep")
    yield
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
    await app[LIMITER].close()
