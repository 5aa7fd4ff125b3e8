"""The PBX bridge: one supervised AMI session to Asterisk, turned into typed domain events.

``AmiBridge`` connects, logs in, rebuilds the live state after every (re)connect, notices a dead
connection, reconnects with exponential backoff and jitter, and sends actions (``queue_pause``).
It is the only place (with ``connection.py``) that imports panoramisk.

Design choice: panoramisk's ``Manager`` is not used. Its connect/reconnect, login, ping and
dispatch are where the defects of DOMAIN.md live (2 actions re-sent after a reconnect, 3 a
callback exception killing the connection, 4 the ping reply never checked, 5 ``close()`` not
cancelling a pending reconnect, 9 a wrong secret reconnecting forever, 6 ``save_stream``). The
lifecycle is therefore driven here, by one task this object owns, and panoramisk is kept for its
action layer through ``connection.AmiProtocol`` (which also fixes 1, 7 and 8). Defect 8: never
import ``panoramisk.testing`` anywhere in the project (it switches panoramisk's line terminator
for the whole process); our framing and serialization do not depend on it anyway.

Order of what ``on_event`` sees for one session: ``ResyncStarted``, then live events and the
resync snapshot items (``ChannelSeen``, ``MemberState``, ``QueueEntrySeen`` ...) in stream order,
then ``ResyncCompleted``; ``ConnectionLost`` when the session ends after a successful login.
``read_scope`` (optional) is entered around the events of each TCP read: a listener can do what
is urgent for each event at once (a screen-pop) and the rest once the read is handled.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import random
from collections.abc import Callable, Mapping

from panoramisk.actions import Action

from cti_server.ami.connection import AmiProtocol, ReadScope
from cti_server.ami.errors import (
    AmiActionError,
    AmiActionLost,
    AmiAuthError,
    AmiConnectionError,
    AmiError,
    AmiNotConnected,
)
from cti_server.ami.settings import (
    AUTH_FAILED,
    CLOSED,
    CONNECTED,
    CONNECTING,
    DISCONNECTED,
    AmiSettings,
    backoff_delay,
)
from cti_server.domain.events import (
    ConnectionLost,
    DomainEvent,
    PbxBooted,
    PbxShutdown,
    ResyncCompleted,
    ResyncStarted,
)

log = logging.getLogger(__name__)
__all__ = ["AmiBridge", "AmiSettings"]

Translator = Callable[[Mapping[str, str], dt.datetime], list[DomainEvent]]
RESYNC_ACTIONS = ("CoreShowChannels", "QueueStatus", "QueueSummary")
RESYNC_RETRY_MIN, RESYNC_RETRY_MAX = 1.0, 15.0  # seconds between tries of a refused resync list


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _default_translator() -> Translator:
    from cti_server.ami.translate import translate

    return translate


def _event_filter() -> tuple[frozenset[str], frozenset[str]]:
    from cti_server.ami.translate import FIRST_CHANNEL_ONLY, WANTED_EVENTS

    return WANTED_EVENTS, FIRST_CHANNEL_ONLY


class AmiBridge:
    """A supervised AMI session. Create and ``await start()`` inside the running loop."""

    def __init__(
        self,
        settings: AmiSettings,
        on_event: Callable[[DomainEvent], None],
        *,
        on_state: Callable[[str], None] | None = None,
        read_scope: ReadScope | None = None,
        clock: Callable[[], dt.datetime] = _utcnow,
        translator: Translator | None = None,
        rng: random.Random | None = None,
    ) -> None:
        self.settings = settings
        self._on_event = on_event
        self._on_state = on_state
        self._read_scope = read_scope
        self._clock = clock
        self._translate = translator or _default_translator()
        # the parser drops what the default translation has no use for (no filter for another)
        self._wanted: frozenset[str] | None = None
        self._first_only: frozenset[str] = frozenset()
        if translator is None:
            self._wanted, self._first_only = _event_filter()
        self._rng = rng or random.Random()
        self._task: asyncio.Task[None] | None = None
        self._proto: AmiProtocol | None = None
        self._state = CONNECTING
        self._closing = False
        self._shutdown_seen = False
        self.last_error = ""
        self.sessions = 0  # successful logins so far (for health and tests)
        self.synced = False  # logged in and every resync list complete
        self._booted = asyncio.Event()  # FullyBooted seen in this session

    # -- public -----------------------------------------------------------------------------

    @property
    def state(self) -> str:
        """connecting / connected / disconnected / auth_failed / closed."""
        return self._state

    @property
    def connected(self) -> bool:
        """Logged in to Asterisk right now."""
        return self._state == CONNECTED

    @property
    def health(self) -> str:
        """``state``, or ``resync_incomplete`` while logged in without a complete resync."""
        return "resync_incomplete" if self.connected and not self.synced else self._state

    async def start(self) -> None:
        """Start the session task (returns at once; the connection comes up in the background)."""
        if self._task is None and not self._closing:
            self._task = asyncio.create_task(self._run(), name="ami-bridge")

    async def close(self) -> None:
        """Stop for good: close the connection, cancel any pending reconnect, await the task."""
        self._closing = True
        if self._proto is not None:
            self._proto.close()
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._set_state(CLOSED)

    async def queue_pause(
        self, interface: str, paused: bool, reason: str = "", queue: str = ""
    ) -> None:
        """Pause or unpause a queue member (all its queues unless ``queue``).

        Raises ``AmiNotConnected`` when not logged in, ``AmiActionLost`` when the connection drops
        before the answer (the action is not re-sent), ``AmiActionError`` on ``Response: Error``
        or no answer within ``action_timeout``; ``ValueError`` for a value with a line break.
        """
        fields = {
            "Action": "QueuePause",
            "Interface": interface,
            "Paused": "true" if paused else "false",
        }
        if queue:
            fields["Queue"] = queue
        if reason:
            fields["Reason"] = reason
        proto = self._proto
        if proto is None or not self.connected:
            raise AmiNotConnected("not connected to Asterisk", action="QueuePause")
        resp = await proto.action(fields, self.settings.action_timeout)
        if isinstance(resp, list) or not resp.success:
            msg = resp[0].get("Message", "") if isinstance(resp, list) else resp.get("Message", "")
            raise AmiActionError(f"QueuePause refused: {msg}", action="QueuePause")

    async def originate(
        self,
        *,
        channel: str,
        context: str,
        exten: str,
        caller_id: str,
        channel_id: str,
        ring_seconds: float = 30.0,
    ) -> None:
        """Click-to-dial: ring ``channel`` (the operator's phone), then run ``exten`` in
        ``context`` (the outbound route to the resident) with ``caller_id`` shown to them.

        Sent with ``Async: true``: returns when Asterisk has queued the call; its progress comes
        as events (``OriginateResponse``, ``DialBegin`` ...), all with Linkedid ``channel_id``
        (``ChannelId``: the Uniqueid of the operator's leg). Never re-sent after a reconnect.
        Raises as ``queue_pause`` does. The answer is the action's own response (panoramisk would
        otherwise wait for the ``OriginateResponse`` event, which comes when the operator answers).
        """
        fields = {
            "Action": "Originate",
            "Channel": channel,
            "Context": context,
            "Exten": exten,
            "Priority": "1",
            "CallerID": caller_id,
            "Timeout": str(int(ring_seconds * 1000)),
            "Async": "true",
            "ChannelId": channel_id,
        }
        proto = self._proto
        if proto is None or not self.connected:
            raise AmiNotConnected("not connected to Asterisk", action="Originate")
        sent = proto.start_action(Action(fields, as_list=False))
        resp = await proto.wait(sent, self.settings.action_timeout)
        if isinstance(resp, list) or not resp.success:
            msg = resp[0].get("Message", "") if isinstance(resp, list) else resp.get("Message", "")
            raise AmiActionError(f"Originate refused: {msg}", action="Originate")

    # -- the session loop -------------------------------------------------------------------

    async def _run(self) -> None:
        failures = 0
        while not self._closing:
            try:
                await self._session()
                failures = 0
                delay = self._backoff(0)
            except AmiAuthError as err:
                self.last_error = err.message
                self._set_state(AUTH_FAILED)
                if self.settings.auth_retry is None:
                    log.error("AMI login refused (%s); not retrying: fix the secret", err.message)
                    return
                log.error(
                    "AMI login refused (%s); retrying in %g s",
                    err.message,
                    self.settings.auth_retry,
                )
                delay = self.settings.auth_retry
            except AmiError as err:
                failures += 1
                self.last_error = err.message
                self._set_state(DISCONNECTED)
                delay = self._backoff(failures)
                log.warning("AMI connection failed (%s); retrying in %.2f s", err.message, delay)
            except Exception as err:  # a bug: say so loudly, but keep the bridge alive
                failures += 1
                self.last_error = f"internal error: {err!r}"
                self._set_state(DISCONNECTED)
                delay = self._backoff(failures)
                log.exception("AMI session failed unexpectedly; retrying in %.2f s", delay)
            await asyncio.sleep(delay)  # close() cancels it: no reconnect after close

    def _backoff(self, failures: int) -> float:
        return backoff_delay(self.settings, failures, self._rng)

    async def _open(self) -> AmiProtocol:
        s = self.settings
        loop = asyncio.get_running_loop()
        proto: AmiProtocol | None = None
        try:
            async with asyncio.timeout(s.connect_timeout):
                _, proto = await loop.create_connection(
                    lambda: AmiProtocol(
                        self._on_message, self._wanted, self._read_scope, self._first_only
                    ),
                    s.host,
                    s.port,
                )
                await proto.banner
        except (OSError, TimeoutError, AmiConnectionError) as err:
            if proto is not None:
                proto.abort("no banner")
            raise AmiConnectionError(f"cannot connect to {s.host}:{s.port}: {err!r}") from err
        except BaseException:
            if proto is not None:
                proto.abort("cancelled")
            raise
        return proto

    async def _session(self) -> None:
        """One connection, from connect to loss. Returns when a logged-in session ends."""
        s = self.settings
        proto = await self._open()
        self._proto = proto
        self.synced = False
        self._booted.clear()
        try:
            resp = await proto.action(
                {"Action": "Login", "Username": s.username, "Secret": s.secret, "Events": "on"},
                s.connect_timeout,
            )
            if isinstance(resp, list) or not resp.success:
                msg = resp.get("Message", "") if not isinstance(resp, list) else ""
                raise AmiAuthError(f"AMI login as {s.username!r} refused: {msg or 'no reason'}")
            resync = self._logged_in(proto)
            tasks = [
                asyncio.create_task(self._pinger(proto), name="ami-ping"),
                asyncio.create_task(self._finish_resync(proto, resync), name="ami-resync"),
            ]
            try:
                reason = await proto.lost
            finally:
                for t in tasks:
                    t.cancel()
                await asyncio.gather(*tasks, return_exceptions=True)
            self._lost(reason)
        except AmiActionLost as err:  # lost while logging in
            raise AmiConnectionError(str(err)) from err
        finally:
            self._proto = None
            self.synced = False
            proto.close()

    def _logged_in(self, proto: AmiProtocol) -> list[Action]:
        """Synchronous on purpose: nothing can slip between ResyncStarted and the held events."""
        self.sessions += 1
        self.last_error = ""
        self._set_state(CONNECTED)
        log.info(
            "AMI logged in to %s:%s (session %d)",
            self.settings.host,
            self.settings.port,
            self.sessions,
        )
        self._emit(ResyncStarted(at=self._clock()))
        actions = [
            proto.start_action({"Action": name}, stream_items=True) for name in RESYNC_ACTIONS
        ]
        proto.release_events()
        return actions

    async def _finish_resync(self, proto: AmiProtocol, actions: list[Action]) -> None:
        """Wait for the resync lists; a refused one (Asterisk logged us in before app_queue was
        loaded) is sent again after ``FullyBooted`` or a growing delay, and until every list is
        complete the resync is not reported complete (``synced`` stays False)."""
        delay = RESYNC_RETRY_MIN
        pending = actions
        try:
            while True:
                refused: list[tuple[str, str]] = []
                async with asyncio.timeout(self.settings.resync_timeout):
                    for action in pending:
                        resp = await proto.wait(action, self.settings.resync_timeout)
                        if not isinstance(resp, list) and not resp.success:
                            refused.append((str(action.get("Action")), resp.get("Message", "")))
                if not refused:
                    break
                what = ", ".join(f"{name} refused ({msg or 'no reason'})" for name, msg in refused)
                self.last_error = f"resync incomplete: {what}"
                log.warning(
                    "AMI resync incomplete: %s; retrying after FullyBooted or in %g s", what, delay
                )
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._booted.wait(), delay)
                self._booted.clear()
                delay = min(delay * 2, RESYNC_RETRY_MAX)
                pending = [
                    proto.start_action({"Action": name}, stream_items=True) for name, _ in refused
                ]
        except AmiActionLost:
            return
        except (AmiActionError, TimeoutError):
            log.warning(
                "AMI resync did not complete in %g s: dropping the connection",
                self.settings.resync_timeout,
            )
            proto.abort("resync timed out")
            return
        self.synced = True
        self.last_error = ""
        log.info("AMI resync complete")
        self._emit(ResyncCompleted(at=self._clock()))

    async def _pinger(self, proto: AmiProtocol) -> None:
        s = self.settings
        while True:
            await asyncio.sleep(s.ping_interval)
            try:
                await proto.action({"Action": "Ping"}, s.ping_timeout)
            except AmiActionLost:
                return
            except AmiError:
                log.warning(
                    "AMI Ping unanswered within %g s: connection declared dead", s.ping_timeout
                )
                proto.abort(f"no answer to Ping within {s.ping_timeout:g} s")
                return

    def _lost(self, reason: str) -> None:
        if self._closing:
            return
        self.last_error = reason
        self._set_state(DISCONNECTED)
        log.warning("AMI connection lost: %s", reason)
        self._emit(ConnectionLost(reason=reason, at=self._clock()))

    # -- events -----------------------------------------------------------------------------

    def _on_message(self, msg: dict[str, str]) -> None:
        at = self._clock()
        name = msg.get("Event", "")
        try:
            events = self._translate(msg, at)
        except Exception:
            log.exception("AMI event %s could not be translated; skipped", name)
            events = []
        if name == "Shutdown":
            self._shutdown_seen = True
            log.warning(
                "Asterisk is shutting down (%s, restart %s)",
                msg.get("Shutdown"),
                msg.get("Restart"),
            )
            if not any(isinstance(e, PbxShutdown) for e in events):
                events.append(PbxShutdown(restart=msg.get("Restart") == "True", at=at))
        elif name == "FullyBooted":
            self._booted.set()  # a resync list refused before it is sent again now
            if self._shutdown_seen:
                log.warning("Asterisk restarted and fully booted")
                self._shutdown_seen = False
            if not any(isinstance(e, PbxBooted) for e in events):
                events.append(PbxBooted(at=at))
        for ev in events:
            self._emit(ev)
        if name == "Shutdown" and self._proto is not None:
            self._proto.abort("Asterisk shut down")

    def _emit(self, ev: DomainEvent) -> None:
        try:
            self._on_event(ev)
        except Exception:
            log.exception("on_event callback failed on %s; going on", type(ev).__name__)

    def _set_state(self, state: str) -> None:
        if state == self._state:
            return
        self._state = state
        if self._on_state is not None:
            try:
                self._on_state(state)
            except Exception:
                log.exception("on_state callback failed on %s; going on", state)
