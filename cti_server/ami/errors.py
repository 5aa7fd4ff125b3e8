"""Errors of the PBX bridge (``cti_server.ami``).

Hierarchy::

    AmiError                    base of everything the bridge raises
    ├── AmiConnectionError      TCP connect failed or timed out, no banner, connection lost,
    │                           keep-alive Ping unanswered (the connection is declared dead)
    ├── AmiAuthError            Login refused (wrong username or secret); the bridge stops
    │                           retrying and its state becomes "auth_failed"
    └── AmiActionError          an action failed: ``Response: Error``, no answer in time
        ├── AmiNotConnected     the bridge is not connected and logged in right now
        └── AmiActionLost       the connection dropped before the answer came; the action is
                                NOT re-sent after the reconnect (it may or may not have run)

Each error has ``.error_id`` (a stable string) and ``.message``; action errors also have
``.action`` (the AMI action name).
"""

from __future__ import annotations


class AmiError(Exception):
    error_id = "ami_error"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class AmiConnectionError(AmiError):
    error_id = "ami_connection"


class AmiAuthError(AmiError):
    error_id = "ami_auth_failed"


class AmiActionError(AmiError):
    error_id = "ami_action_failed"

    def __init__(self, message: str, *, action: str = "") -> None:
        super().__init__(message)
        self.action = action


class AmiNotConnected(AmiActionError):
    error_id = "ami_not_connected"


class AmiActionLost(AmiActionError):
    error_id = "ami_action_lost"
