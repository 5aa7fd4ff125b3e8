"""The composition root: ``bootstrap(settings)`` builds every collaborator of the server, in
dependency order, and hands each its dependencies in its constructor.

Nothing here opens anything: the engine is created (SQLAlchemy connects lazily), tasks and
sockets start later in the app's ``cleanup_ctx`` (``cti_server.web.app``), which only opens and
closes what was built here. Order: database sessions -> metrics, hub -> tracker -> bus -> board,
operators' own states (``cti_server.agent_state``) -> the call pipeline (``build_calls``: ledger
lookup, call recorder, the gap recovery from the queue log when configured, whose calls the
callback feeder also hears, pop delivery, popper, call service) -> PBX bridge (its events go to
the call service) -> the log-in pieces (token signer, account-state cache, failed-login limiter,
trusted proxies).

Three edges point back, each through one closure: the board and the operators' states ask for
the bridge when a supervisor or an operator pauses an agent (the bridge is built last, because
its events go to the call service), the hub tells the board when an operator logs in or out (the
board names operators through the hub), and the bus hands what other instances publish to the
pop delivery and the board.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from cti_server import protocol
from cti_server.agent_state import AgentStates
from cti_server.board import BoardService
from cti_server.bus import Bus
from cti_server.callbacks import Callbacks
from cti_server.caller_lookup import LedgerLookup
from cti_server.campaign import CampaignSettings
from cti_server.config import Settings
from cti_server.domain.tracker import Tracker
from cti_server.gap_recovery import GapRecovery, OnRecovered
from cti_server.metrics import Metrics
from cti_server.popper import Popper
from cti_server.recorder import CallRecorder, OperatorOn
from cti_server.service import (
    Bridge,
    CallService,
    ChangeListener,
    PopDelivery,
    PopSink,
    Publish,
)
from cti_server.web.hub import Hub
from cti_server.web.limiter import AddressLimiter, Network, build_limiter, parse_networks
from cti_server.web.slots import deliver_slots
from cti_server.web.tokens import AccountStates, TokenSigner
from registry.db import create_engine, session_factory


@dataclass
class Server:
    """Everything ``bootstrap`` built; the app keeps it under its keys."""

    settings: Settings
    engine: AsyncEngine
    own_engine: bool  # created here from settings.database_url: migrated and disposed by the app
    sessions: async_sessionmaker[AsyncSession]
    metrics: Metrics
    hub: Hub
    tracker: Tracker
    service: CallService
    lookup: LedgerLookup  # the pop's ledger lookup (its in-memory phone index, once loaded)
    board: BoardService
    agent_states: AgentStates  # each operator's own state and after-call work
    bus: Bus | None
    bridge: Bridge | None
    signer: TokenSigner
    accounts: AccountStates  # token generations, cached
    limiter: AddressLimiter  # failed logins per address (Redis when configured)
    trusted: list[Network]  # proxies whose X-Forwarded-For is believed
    callbacks: Callbacks | None = None  # the callback worklist: click-to-dial, feeders
    campaign: CampaignSettings | None = None  # settings an admin edits (wrap-up codes, retries)


def bootstrap(
    settings: Settings, *, engine: AsyncEngine | None = None, bridge: Bridge | None = None
) -> Server:
    """Build the server. ``engine``: an existing one (tests), else one from the settings.
    ``bridge``: an existing PBX link (a fake in tests), else an ``AmiBridge`` when
    ``settings.ami_enabled``."""
    own = engine is None
    eng = create_engine(settings.database_url) if engine is None else engine
    sessions = session_factory(eng)
    metrics = Metrics()
    hub = Hub(
        settings.ws_queue_size,
        metrics,
        on_presence=lambda: board.presence_changed(),
        queue_bytes=settings.ws_queue_bytes,
        per_account=settings.ws_sockets_per_account,
    )
    tracker = Tracker(short_abandon_seconds=settings.short_abandon_seconds)
    bus = (
        Bus(
            settings.redis_url,
            settings.server_id,
            lambda kind, data: on_bus(kind, data),
            channel=settings.bus_channel,
        )
        if settings.redis_url
        else None
    )
    board = BoardService(
        settings, sessions, tracker, bridge=lambda: server.bridge,
        operator_name=hub.operator_name, metrics=metrics,
        flush_records=lambda: service.recorder.flush(),
    )  # fmt: skip
    agent_states = AgentStates(
        settings, tracker, hub.send_later_to_extension, lambda: server.bridge,
        connected=hub.has_extension,
    )  # fmt: skip
    callbacks = Callbacks(
        settings, sessions, lambda e: service.on_event(e), lambda: server.bridge,
        on_worklist=board.bookings_changed, count=metrics.inc,
    )  # fmt: skip
    lookup = LedgerLookup(sessions, engine=eng)
    campaign = CampaignSettings(settings, sessions)
    service = build_calls(
        settings, tracker, sessions, hub, metrics, lookup=lookup,
        publish=bus.publish if bus is not None else None,
        listeners=(board, agent_states, callbacks), on_records_closed=board.reload_calls,
        operator_on=hub.operator_id, on_recovered=callbacks.on_changes,
    )  # fmt: skip
    if bridge is None and settings.ami_enabled:
        bridge = _ami_bridge(settings, service)
    service.bridge = bridge

    def on_bus(kind: str, data: dict[str, Any]) -> None:
        """A message another instance published."""
        if kind == "pop":
            service.delivery.on_bus_pop(str(data["ext"]), data["pop"])
        elif kind == "slots":
            deliver_slots(hub, int(data["venue_id"]), str(data["day"]), data["slots"])
            board.bookings_changed()
        elif kind == "checkins":  # residents checked in there: our board's tally rereads
            board.bookings_changed()
        elif kind == "ledger":  # another instance saw the ledger change: refresh our indexes
            lookup.changed.set()
        elif kind == "config":  # an admin saved a campaign setting on another instance
            key = str(data.get("key", ""))
            campaign.invalidate(key or None)
            if key and isinstance(data.get("version"), int):
                hub.send_to_all(protocol.ConfigChanged(key, data["version"]))

    server = Server(
        settings, eng, own, sessions, metrics, hub, tracker, service, lookup, board, agent_states,
        bus,
        bridge,
        signer=TokenSigner(
            settings.secret_keys, settings.token_ttl_seconds, settings.kiosk_token_ttl_seconds
        ),
        accounts=AccountStates(sessions, settings.revocation_cache_seconds),
        limiter=build_limiter(settings),
        trusted=parse_networks(settings.trusted_proxy_list),
        callbacks=callbacks,
        campaign=campaign,
    )  # fmt: skip
    _gauges(server)
    return server


def build_calls(
    settings: Settings,
    tracker: Tracker,
    sessions: async_sessionmaker[AsyncSession],
    sink: PopSink,
    metrics: Metrics,
    *,
    publish: Publish | None = None,
    listeners: Sequence[ChangeListener] = (),
    on_records_closed: Callable[[], Awaitable[None]] | None = None,
    operator_on: OperatorOn = lambda extension: None,
    lookup: LedgerLookup | None = None,
    on_recovered: OnRecovered | None = None,
) -> CallService:
    """The call pipeline around ``tracker``: records, lookups, pops (``sink``: the hub;
    ``operator_on``: the operator logged in on an extension, else the records name the
    operator whose default extension it is), and with ``ami_queue_log`` the calls of a gap in
    the PBX link rebuilt from the queue log (their changes then go to ``on_recovered``: the
    callback worklist's feeder)."""
    recorder = CallRecorder(
        sessions, settings.extension_of, settings.default_area_code, metrics.inc,
        operator_on=operator_on,
    )  # fmt: skip
    recover = None
    if settings.ami_queue_log:
        from cti_server.ami.queue_log import QueueLogReader

        reader = QueueLogReader(settings.ami_queue_log)
        recover = GapRecovery(
            reader.read, tracker, recorder, sessions, on_recovered=on_recovered
        ).recover
    delivery = PopDelivery(sink, metrics, publish)
    popper = Popper(
        settings,
        tracker,
        lookup if lookup is not None else LedgerLookup(sessions),
        delivery.send,
        recorder.put,
        on_lookup_time=metrics.lookup_seconds.observe,
    )
    return CallService(
        tracker, recorder, popper, delivery, metrics, sessions,
        listeners=listeners, on_records_closed=on_records_closed, recover_gap=recover,
    )  # fmt: skip


def _ami_bridge(settings: Settings, service: CallService) -> Bridge:
    from cti_server.ami.bridge import AmiBridge
    from cti_server.ami.settings import AmiSettings

    ami = AmiSettings(
        host=settings.ami_host,
        port=settings.ami_port,
        username=settings.ami_user,
        secret=settings.ami_secret,
        reconnect_max=settings.ami_reconnect_max_seconds,
        auth_retry=settings.ami_auth_retry_seconds or None,
    )
    return AmiBridge(ami, service.on_event, on_state=service.on_state, read_scope=service.reading)


def _gauges(s: Server) -> None:
    """The gauges read at scrape time (the counters count where things happen)."""
    m, hub, tracker, bridge = s.metrics, s.hub, s.tracker, s.bridge
    m.gauge("cti_ws_clients", lambda: len(hub.clients), "Connected WebSocket clients")
    m.gauge("cti_calls_live", lambda: len(tracker.calls), "Calls in progress")
    m.gauge(
        "cti_ami_connected",
        lambda: float(bridge is not None and bridge.connected),
        "1 when logged in to Asterisk AMI",
    )
