"""Errors of the desktop client.

ClientError                 -- base of everything raised by desktop_client
  ApiError                  -- the server answered with an error body (error, message, details)
  NotConnected              -- a request needs the server and there is no connection
"""

from __future__ import annotations

from typing import Any


class ClientError(Exception):
    """Base of the client's errors."""


class ApiError(ClientError):
    def __init__(self, status: int, error: str, message: str, details: dict[str, Any]) -> None:
        super().__init__(f"{status} {error}: {message}")
        self.status = status
        self.error = error
        self.message = message
        self.details = details


class NotConnected(ClientError):
    """The server cannot be reached."""
