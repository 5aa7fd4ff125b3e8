"""One AMI TCP connection: panoramisk's protocol with our framing, dispatch and failure rules.

panoramisk 1.4 is kept for its action layer: ``Action`` (ActionIDs, a future per action, the
completion rules of list responses: ``EventList: start`` ... ``…Complete``) and ``Message``.
This subclass of its ``AMIProtocol`` replaces what is defective (numbers as in DOMAIN.md):

- ``data_received`` (defect 1): bytes go to ``frames.FrameParser``, which decodes only whole
  lines, so a kanji split across two TCP reads survives; repeated ``ChanVariable`` headers are
  kept by the same parser, so nothing relies on ``Message.getdict`` (defect 7).
- dispatch (defect 3): each message is handled on its own inside ``try``; an exception in a
  callback is logged and the rest of the read goes on; the connection stays up.
- ``close`` (defect 2): actions still unanswered fail with ``AmiActionLost``; they are never
  queued for a resend on the next connection (a pending QueuePause/Originate would run twice).
- ``send`` (defect 8): actions are serialized here with CRLF, never with ``panoramisk.utils.EOL``
  (which ``panoramisk.testing`` switches to LF for the whole process); values holding CR or LF
  are refused (header injection).

The connection lifecycle (connect, login, ping, reconnect) is not panoramisk's: see bridge.py.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Mapping
from contextlib import AbstractContextManager
from typing import Any

from panoramisk.actions import Action
from panoramisk.ami_protocol import AMIProtocol
from panoramisk.message import Message

from cti_server.ami.errors import AmiActionError, AmiActionLost, AmiConnectionError, AmiNotConnected
from cti_server.ami.frames import FrameParser

log = logging.getLogger(__name__)

OnMessage = Callable[[dict[str, str]], None]
ReadScope = Callable[[], AbstractContextManager[object]]
MAX_HELD = 10_000  # events held before the resync starts; a peer sending more is dropped


def serialize(action: Mapping[str, object]) -> bytes:
    """An action as AMI bytes (CRLF line ends, blank-line terminated), ``Action`` first."""
    lines = []
    for key, value in sorted(action.items(), key=lambda kv: kv[0].lower() != "action"):
        for item in value if isinstance(value, list | tuple) else [value]:
            text = f"{key}: {item}"
            if "\r" in text or "\n" in text:
                raise ValueError(f"AMI header {key!r} must not contain a line break")
            lines.append(text)
    return ("\r\n".join(lines) + "\r\n\r\n").encode("utf-8")


def _fail(fut: asyncio.Future[Any], err: Exception) -> None:
    if not fut.done():
        fut.set_exception(err)
        fut.exception()  # mark retrieved: an awaiter still gets it, nobody else logs it


class AmiProtocol(AMIProtocol):  # type: ignore[misc]
    """The protocol of one connection. ``on_message`` gets every event, in stream order.

    Events are held back until ``release_events()`` (the bridge releases them once it has
    announced the resync), so nothing that follows the Login response slips ahead of it; at
    most ``MAX_HELD`` of them: a peer that sends more before the login answer is dropped.
    List items of actions sent with ``stream_items=True`` are delivered to ``on_message`` as they
    arrive, among the ordinary events, besides completing the action. ``read_scope`` (when
    given) is entered around the delivery of the messages of one read (or of the held ones
    released): what the messages start can be finished once the whole read is handled.
    """

    def __init__(
        self,
        on_message: OnMessage,
        wanted: frozenset[str] | None = None,
        read_scope: ReadScope | None = None,
        first_channel_only: frozenset[str] = frozenset(),
    ) -> None:
        loop = asyncio.get_running_loop()
        self.on_message = on_message
        self.read_scope = read_scope or contextlib.nullcontext
        # events not wanted (or wanted from a first channel only, of an operator's leg) are
        # dropped unparsed
        self.parser = FrameParser(wanted, first_channel_only=first_channel_only)
        self.banner: asyncio.Future[str] = loop.create_future()
        self.lost: asyncio.Future[str] = loop.create_future()
        self.closed = True
        self.responses: dict[str, Action] = {}
        self.streamed: set[str] = set()
        self._held: list[dict[str, str]] | None = []
        self._reason = "connection closed by peer"

    # -- asyncio.Protocol -------------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        super().connection_made(transport)
        self.closed = False
        self.encoding = "utf-8"
        self.log = log

    def data_received(self, data: bytes) -> None:
        with self.read_scope():
            for msg in self.parser.parse(data):  # each parsed as it is handled
                try:
                    self._handle(msg)
                except Exception:
                    log.exception("AMI message %r could not be handled; going on", msg.get("Event"))

    def connection_lost(self, exc: Exception | None) -> None:
        if exc is not None:
            self._reason = f"connection lost: {exc!r}"
        self.closed = True
        self._fail_pending()
        _fail(self.banner, AmiConnectionError(self._reason))
        if not self.lost.done():
            self.lost.set_result(self._reason)

    # -- messages ---------------------------------------------------------------------------

    def _handle(self, msg: dict[str, str]) -> None:
        if "Banner" in msg:
            if not self.banner.done():
                self.banner.set_result(msg["Banner"])
            return
        aid = msg.get("ActionID", "")
        action = self.responses.get(aid) if aid else None
        if action is None:
            if "Event" in msg:
                self._deliver(msg)
            else:
                log.debug("AMI response to no pending action (ActionID %s)", aid)
            return
        if aid in self.streamed and "Event" in msg and msg.get("EventList") != "Complete":
            self._deliver(msg)
        if action.add_message(Message(msg)):
            self.responses.pop(aid, None)
            self.streamed.discard(aid)

    def _deliver(self, msg: dict[str, str]) -> None:
        if self._held is not None:
            if len(self._held) >= MAX_HELD:
                log.warning(
                    "AMI peer sent more than %d events before the login answer: dropping it",
                    MAX_HELD,
                )
                self._held = []
                self.abort(f"more than {MAX_HELD} events before the login answer")
                return
            self._held.append(msg)
            return
        try:
            self.on_message(msg)
        except Exception:
            log.exception("AMI event callback failed on %s; going on", msg.get("Event"))

    def release_events(self) -> None:
        """Deliver the events held since the connection opened, and from now on at once."""
        held, self._held = self._held or [], None
        with self.read_scope():
            for msg in held:
                self._deliver(msg)

    # -- actions ----------------------------------------------------------------------------

    def send(self, data: Mapping[str, object], as_list: bool | None = None) -> asyncio.Future[Any]:
        fut: asyncio.Future[Any] = self._send(data, as_list=as_list).future
        return fut

    def _send(
        self, data: Mapping[str, object], *, as_list: bool | None = None, stream_items: bool = False
    ) -> Action:
        if self.closed:
            raise AmiNotConnected("AMI connection is closed", action=str(data.get("Action", "")))
        action = data if isinstance(data, Action) else Action(dict(data), as_list=as_list)
        payload = serialize(action)  # before registering: a refused value sends nothing
        self.responses[action.action_id] = action
        if stream_items:
            self.streamed.add(action.action_id)
        self.transport.write(payload)
        return action

    def start_action(self, fields: Mapping[str, str], *, stream_items: bool = False) -> Action:
        """Send an action now (synchronously); await ``.future`` with a timeout."""
        return self._send(fields, stream_items=stream_items)

    async def action(
        self, fields: Mapping[str, str], within: float, *, stream_items: bool = False
    ) -> Message | list[Message]:
        """Send an action and wait at most ``within`` s for its (complete) answer."""
        return await self.wait(self._send(fields, stream_items=stream_items), within)

    async def wait(self, action: Action, within: float) -> Message | list[Message]:
        """The answer of a sent action; ``AmiActionError`` if none in ``within`` s."""
        name = str(action.get("Action", ""))
        try:
            return await asyncio.wait_for(action.future, within)
        except TimeoutError:
            self.responses.pop(action.action_id, None)
            self.streamed.discard(action.action_id)
            raise AmiActionError(f"no answer to {name} within {within:g} s", action=name) from None

    # -- closing ----------------------------------------------------------------------------

    def _fail_pending(self) -> None:
        pending, self.responses = self.responses, {}
        self.streamed.clear()
        for action in pending.values():
            name = str(action.get("Action", ""))
            _fail(
                action.future,
                AmiActionLost(
                    f"connection lost before the answer to {name}; not re-sent", action=name
                ),
            )

    def abort(self, reason: str) -> None:
        """Drop the connection now (dead peer, shutdown): no flush, no goodbye."""
        self._reason = reason
        self._fail_pending()
        if not self.closed:
            self.closed = True
            self.transport.abort()

    def close(self) -> None:  # overrides panoramisk's, which queues pending actions for resend
        self._reason = "closed by us"
        self._fail_pending()
        if not self.closed:
            self.closed = True
            self.transport.close()
