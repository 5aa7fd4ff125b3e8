"""Errors of the web layer and the one place registry errors become HTTP responses.

Hierarchy::

    ApiError              500 "internal"           base; carries status, error id, message, details
    ├── BadRequest        400 "invalid_input"      a field is missing or invalid (details.field)
    ├── Unauthorized      401 "unauthorized"       no token, or a bad or expired one
    ├── Forbidden         403 "forbidden"          the role may not do this
    │   └── ExtensionNotAllowed 403 "extension_not_allowed"  log-in at an extension not allowed
    ├── NotFoundError     404 "not_found"          no such route object
    └── TooManyAttempts   429 "too_many_attempts"  login attempts from this address too fast

The database not answering (connection refused, lost, timed out) is 503 ``ledger_unavailable``
(retry later; the client keeps the form in its outbox), never a 500.

Registry errors keep their own ``error_id``; ``status_of`` maps their classes to a status.
Every error response is ``{"error": id, "message": text, "details": {...}}``.
"""

from __future__ import annotations

import logging
import traceback
from typing import Any

from aiohttp import web
from sqlalchemy import exc as sa
from sqlalchemy.exc import DBAPIError

from cti_server import protocol
from registry import errors as reg

log = logging.getLogger(__name__)


class ApiError(Exception):
    status = 500
    error_id = "internal"

    def __init__(self, message: str, *, details: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.details = dict(details or {})


class BadRequest(ApiError):
    status = 400
    error_id = "invalid_input"

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}", details={"field": field})
        self.field = field


class Unauthorized(ApiError):
    status = 401
    error_id = "unauthorized"


class Forbidden(ApiError):
    status = 403
    error_id = "forbidden"


class ExtensionNotAllowed(Forbidden):
    error_id = "extension_not_allowed"

    def __init__(self, extension: str, allowed: list[str]) -> None:
        super().__init__(
            f"extension {extension} is not one this operator may log in at",
            details={"field": "extension", "extension": extension, "allowed": allowed},
        )


class NotFoundError(ApiError):
    status = 404
    error_id = "not_found"


class TooManyAttempts(ApiError):
    status = 429
    error_id = "too_many_attempts"

    def __init__(self, retry_after: float) -> None:
        super().__init__(
            "too many login attempts from this address; wait and retry",
            details={"retry_after": round(retry_after, 3)},
        )
        self.retry_after = retry_after


_REGISTRY_STATUS: tuple[tuple[type[reg.RegistryError], int], ...] = (
    (reg.NotFound, 404),
    (reg.InvalidInput, 400),
    (reg.Conflict, 409),
    (reg.AccountLocked, 423),
    (reg.AuthFailed, 401),
    (reg.LedgerFileError, 400),
)


def status_of(err: reg.RegistryError) -> int:
    for cls, status in _REGISTRY_STATUS:
        if isinstance(err, cls):
            return status
    return 500


def error_response(
    status: int, error_id: str, message: str, details: dict[str, Any] | None = None
) -> web.Response:
    body = protocol.to_dict(protocol.ApiErrorBody(error_id, message, dict(details or {})))
    headers = {}
    if status == 429 and details and "retry_after" in details:
        headers["Retry-After"] = str(max(1, round(details["retry_after"])))
    return web.json_response(body, status=status, headers=headers)


@web.middleware
async def error_middleware(request: web.Request, handler: Any) -> web.StreamResponse:
    try:
        response: web.StreamResponse = await handler(request)
        return response
    except ApiError as err:
        return error_response(err.status, err.error_id, err.message, err.details)
    except reg.RegistryError as err:
        return error_response(status_of(err), err.error_id, err.message, err.details)
    except web.HTTPException as err:
        if err.status < 400:
            raise
        return error_response(err.status, _http_error_id(err.status), err.reason)
    except Exception as err:
        if unreachable(err):
            log.warning("ledger unreachable on %s %s: %s", request.method, request.path,
                        type(err).__name__)  # fmt: skip
            from cti_server.web.ledger import ledger_down

            ledger_down(request, type(err).__name__)
            return error_response(
                503, "ledger_unavailable", "the ledger database cannot be reached; retry later"
            )
        if isinstance(err, DBAPIError):
            log_database_error(request, err)
            return error_response(500, "internal", "internal server error")
        log.exception("unhandled error on %s %s", request.method, request.path)
        return error_response(500, "internal", "internal server error")


def unreachable(err: BaseException) -> bool:
    """Is ``err`` the database not answering (rather than a bug or a refused statement)?"""
    if isinstance(err, sa.OperationalError | sa.InterfaceError | sa.TimeoutError):
        return True
    if isinstance(err, sa.DBAPIError) and err.connection_invalidated:
        return True
    return isinstance(err, ConnectionError | TimeoutError)


def log_database_error(request: web.Request, err: DBAPIError) -> None:
    """A failed statement, logged without its text: the engine hides the parameters, but the
    database's own message repeats values (PostgreSQL's ``Key (...)=(...)``, ``Failing row
    contains``), which may be a resident's address or phone. The error's class, its SQLSTATE
    and where it was raised are enough to find it."""
    orig = err.orig
    state = getattr(orig, "sqlstate", None) or getattr(orig, "pgcode", None) or "-"
    where = "".join(traceback.format_tb(err.__traceback__))
    log.error(
        "database error on %s %s: %s (%s, sqlstate %s)\n%s",
        request.method,
        request.path,
        type(err).__name__,
        type(orig).__name__,
        state,
        where,
    )


def _http_error_id(status: int) -> str:
    return {
        404: "not_found",
        405: "method_not_allowed",
        413: "too_large",
    }.get(status, "http_error")
