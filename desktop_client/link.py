"""ServerLink: the one connection to cti_server (QWebSocket + REST), on the GUI thread.

It logs in, opens the WebSocket with the Bearer token, reconnects by itself with exponential
backoff (and jitter) after a drop, notices a dead connection by Ping/Pong, logs in again when the
server no longer knows the token (a server restart), and re-sends the slot watch after a reconnect.
States (``state_changed(state, detail)``): disconnected, connecting, connected, reconnecting,
incompatible, signed_out (the server revoked the token: log-out everywhere, account disabled).
The log-in names the extension typed; the server binds the session to it (or refuses it).
"""

from __future__ import annotations

import logging
import random
import time
from typing import Any

from PySide6.QtCore import QObject, QTimer, QUrl, Signal
from PySide6.QtNetwork import QNetworkRequest
from PySide6.QtWebSockets import QWebSocket

from cti_server import protocol
from cti_server.protocol import (
    CurrentCalls,
    Hello,
    LoginResult,
    OperatorInfo,
    Ping,
    Pong,
    ScreenPop,
    WatchSlots,
)

from .api import Api, Done, Reply
from .rest import RestClient

log = logging.getLogger(__name__)

TOKEN_CLOSE = 4401  # the server closed the socket for its token (reason: token_invalid/revoked)


class ServerLink(QObject):
    state_changed = Signal(str, str)
    message_received = Signal(object)  # any decoded protocol message
    pop_received = Signal(object)  # protocol.ScreenPop
    logged_in = Signal(object)  # protocol.OperatorInfo of POST /api/login

    def __init__(
        self,
        parent: QObject | None = None,
        *,
        backoff: tuple[float, float] = (0.5, 30.0),
        ping_interval: float = 15.0,
        pong_timeout: float = 10.0,
    ) -> None:
        super().__init__(parent)
        self.rest = RestClient(self)
        self.api = Api(self.rest)
        self.state = "disconnected"
        self._detail = ""
        self.operator: OperatorInfo | None = None
        self.hello: Hello | None = None
        self._backoff = backoff
        self._attempt = 0
        self._credentials: tuple[str, str, str] | None = None  # in memory only, never stored
        self._watch: WatchSlots | None = None
        self._running = False
        self._ws = QWebSocket(parent=self)
        self._ws.connected.connect(self._on_connected)
        self._ws.disconnected.connect(self._on_disconnected)
        self._ws.textMessageReceived.connect(self.feed_text)
        self._retry = QTimer(self, singleShot=True)
        self._retry.timeout.connect(self._try_connect)
        self._ping = QTimer(self, interval=int(ping_interval * 1000))
        self._ping.timeout.connect(self._send_ping)
        self._pong_timeout = pong_timeout
        self._last_pong = 0.0

    # ------------------------------------------------------------------ REST
    @property
    def base_url(self) -> str:
        return self.rest.base_url

    def login(
        self,
        base_url: str,
        username: str,
        password: str,
        done: Done[LoginResult],
        extension: str = "",
    ) -> None:
        """POST /api/login at ``extension`` (empty: the operator's default); on success remember
        the token and start the WebSocket."""
        self.rest.base_url = base_url.rstrip("/")

        def finished(reply: Reply[LoginResult]) -> None:
            if reply.value is not None:
                self.rest.token = reply.value.token
                self.operator = reply.value.operator
                self._credentials = (username, password, extension)
                log.info("logged in as operator %s", self.operator.id)
                self.logged_in.emit(self.operator)
                self.start()
            done(reply)

        self.api.login(username, password, finished, extension)

    # ------------------------------------------------------------------ WebSocket
    def start(self) -> None:
        self._running = True
        self._attempt = 0
        self._open()

    def stop(self) -> None:
        self._running = False
        self._retry.stop()
        self._ping.stop()
        self._ws.close()
        self._set_state("disconnected", "")

    def send(self, msg: Any) -> bool:
        if self.state != "connected":
            return False
        self._ws.sendTextMessage(protocol.encode(msg))
        return True

    def watch_slots(self, venue_id: int, day: str) -> None:
        """Ask for SlotsChanged about this venue and day; kept and re-sent after reconnects."""
        self._watch = WatchSlots(venue_id=venue_id, day=day) if venue_id else None
        self.send(WatchSlots(venue_id=venue_id, day=day))

    def feed_text(self, text: str) -> None:
        """Handle one text frame from the server (also the entry point for tests and benches)."""
        try:
            msg = protocol.decode(text)
        except protocol.ProtocolError as err:
            log.warning("dropped a bad message from the server: %s", err)
            return
        if isinstance(msg, Pong):
            self._last_pong = time.monotonic()
        elif isinstance(msg, Hello):
            self._on_hello(msg)
        elif isinstance(msg, ScreenPop):
            self.pop_received.emit(msg)
        self.message_received.emit(msg)

    def _ws_url(self) -> QUrl:
        url = QUrl(self.rest.base_url + "/ws")
        url.setScheme("wss" if url.scheme() == "https" else "ws")
        return url

    def _open(self) -> None:
        self._set_state("connecting" if self._attempt == 0 else "reconnecting", str(self._attempt))
        req = QNetworkRequest(self._ws_url())
        req.setRawHeader(b"Authorization", f"Bearer {self.rest.token}".encode())
        self._ws.open(req)

    def _try_connect(self) -> None:
        """After a drop: ask /api/calls/current first (it also tells if the token is still good)."""
        if not self._running:
            return

        def checked(reply: Reply[CurrentCalls]) -> None:
            if not self._running:
                return
            if reply.status == 401 and reply.details.get("reason") == "token_revoked":
                self._signed_out()
            elif reply.status == 401 and self._credentials:
                self._relogin()
            elif reply.network or reply.status >= 500:
                self._schedule()
            else:
                self._deliver_current(reply)
                self._open()

        self._set_state("reconnecting", str(self._attempt))
        self.api.current_calls(checked)

    def _relogin(self) -> None:
        assert self._credentials is not None
        user, password, extension = self._credentials

        def done(reply: Reply[LoginResult]) -> None:
            if reply.value is not None:
                self.rest.token = reply.value.token
                log.info("logged in again after the server forgot the session")
                self._open()
            else:
                self._schedule()

        self.api.login(user, password, done, extension)

    def _deliver_current(self, reply: Reply[CurrentCalls]) -> None:
        """The operator's live calls: show the latest again."""
        if reply.value is None:
            if reply.error == "bad_payload":
                log.warning("GET /api/calls/current: unexpected body: %s", reply.message)
            return
        if reply.value.calls:
            pop = reply.value.calls[-1]
            self.pop_received.emit(pop)
            self.message_received.emit(pop)

    def _schedule(self) -> None:
        if not self._running:
            return
        first, cap = self._backoff
        delay = min(cap, first * (2 ** min(self._attempt, 16))) * random.uniform(0.8, 1.2)
        self._attempt += 1
        self._set_state("reconnecting", f"{delay:.1f}")
        log.info("server connection lost; retry %d in %.1f s", self._attempt, delay)
        self._retry.start(int(delay * 1000))

    def _on_connected(self) -> None:
        self._attempt = 0
        self._last_pong = time.monotonic()
        self._ping.start()
        self._set_state("connected", "")
        if self._watch is not None:
            self.send(self._watch)

    def _on_disconnected(self) -> None:
        self._ping.stop()
        code = getattr(self._ws.closeCode(), "value", 0)  # a CloseCode enum, not an int
        if code == TOKEN_CLOSE and self._ws.closeReason() == "token_revoked":
            self._signed_out()
            return
        if self._running and self.state != "incompatible":
            self._schedule()
        elif not self._running:
            self._set_state("disconnected", "")

    def _signed_out(self) -> None:
        """The server revoked this session (log-out everywhere, account disabled): stop, and do
        not log in again with the remembered password."""
        log.warning("the server revoked this session; log in again")
        self._running, self._credentials = False, None
        self._retry.stop()
        self._set_state("signed_out", "")

    def _on_hello(self, hello: Hello) -> None:
        self.hello = hello
        if hello.protocol_version != protocol.PROTOCOL_VERSION:
            log.error(
                "server speaks protocol %s, this client %s",
                hello.protocol_version,
                protocol.PROTOCOL_VERSION,
            )
            self._running = False
            self._set_state("incompatible", str(hello.protocol_version))
            self._ws.close()

    def _send_ping(self) -> None:
        interval = self._ping.interval() / 1000
        if time.monotonic() - self._last_pong > interval + self._pong_timeout:
            log.warning("no pong from the server; dropping the connection")
            self._ws.abort()
            return
        self.send(Ping(nonce=str(int(time.time()))))

    def _set_state(self, state: str, detail: str) -> None:
        if (state, detail) != (self.state, self._detail):
            self.state, self._detail = state, detail
            self.state_changed.emit(state, detail)
