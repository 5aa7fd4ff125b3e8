"""The server's Prometheus metrics (prometheus-client), one ``CollectorRegistry`` per app.

Counters count (events, pops, calls ended by outcome, call records, dropped sockets, failed
logins, board pushes); gauges that live elsewhere (sockets connected, calls live, AMI link) are
read through callbacks at scrape time; the ledger lookup latency is a histogram. ``render``
gives the text exposition the web layer serves at ``/metrics``. Each app has its own registry,
so several apps in one process (tests) never share a count.

May import prometheus-client and ``cti_server.domain`` only (never the web layer or the
services: they are handed a ``Metrics`` by ``cti_server.bootstrap``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

from cti_server.domain.calls import Call, CallState
from cti_server.domain.changes import CallChanged, Change

LATENCY_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5)


class Metrics:
    def __init__(self) -> None:
        r = self.registry = CollectorRegistry()
        self.events = Counter(
            "cti_events_ingested", "Domain events received from the PBX bridge", ["type"],
            registry=r,
        )  # fmt: skip
        self._event_children: dict[str, Any] = {}  # type -> the labelled counter
        self.calls = Counter("cti_calls", "Calls ended, by outcome", ["outcome"], registry=r)
        self.pops_sent = Counter(
            "cti_pops_sent", "Screen-pop messages queued to operator sockets", registry=r
        )
        self.ws_dropped = Counter(
            "cti_ws_dropped", "WebSocket clients dropped as too slow or gone", registry=r
        )
        self.call_records_written = Counter(
            "cti_call_records_written", "Call record upserts committed", registry=r
        )
        self.call_record_errors = Counter(
            "cti_call_record_errors", "Call record batches that failed", registry=r
        )
        self.logins_failed = Counter("cti_logins_failed", "Failed login attempts", registry=r)
        self.board_pushes = Counter(
            "cti_board_pushes", "Supervisor board updates sent (each to every subscriber)",
            registry=r,
        )  # fmt: skip
        self.callback_requests = Counter(
            "cti_callback_requests", "Callers who asked for a callback from the queue", registry=r
        )
        self.callback_requests_no_number = Counter(
            "cti_callback_requests_no_number",
            "Callers who asked for a callback without a number one can call (withheld)",
            registry=r,
        )  # fmt: skip
        self.lookup_seconds = Histogram(
            "cti_lookup_latency_seconds", "Ledger lookup by caller number",
            buckets=LATENCY_BUCKETS, registry=r,
        )  # fmt: skip
        self._by_name: dict[str, Counter] = {
            "cti_pops_sent_total": self.pops_sent,
            "cti_ws_dropped_total": self.ws_dropped,
            "cti_call_records_written_total": self.call_records_written,
            "cti_call_record_errors_total": self.call_record_errors,
            "cti_logins_failed_total": self.logins_failed,
            "cti_board_pushes_total": self.board_pushes,
            "cti_callback_requests_total": self.callback_requests,
            "cti_callback_requests_no_number_total": self.callback_requests_no_number,
        }

    def inc(self, name: str, by: float = 1.0) -> None:
        """Count ``by`` on the counter exposed as ``name`` (e.g. ``cti_pops_sent_total``)."""
        self._by_name[name].inc(by)

    def event(self, kind: str) -> None:
        child = self._event_children.get(kind)
        if child is None:  # labels() looks the child up under a lock: once per kind
            child = self._event_children[kind] = self.events.labels(type=kind)
        child.inc()

    def count_changes(self, changes: Iterable[Change]) -> None:
        """Count the calls the tracker ended, by outcome: once each (a late amendment of an
        ended call is a change from ended to ended, not another end)."""
        for ch in changes:
            if isinstance(ch, CallChanged) and _ended(ch.call) and not _ended(ch.before):
                outcome = ch.call.outcome.value if ch.call.outcome else "unknown"
                self.calls.labels(outcome=outcome).inc()

    def gauge(self, name: str, read: Callable[[], float], help_text: str) -> None:
        """A gauge read by calling ``read`` at scrape time."""
        Gauge(name, help_text, registry=self.registry).set_function(read)

    def render(self) -> bytes:
        return generate_latest(self.registry)


def _ended(call: Call | None) -> bool:
    return call is not None and call.state is CallState.ENDED
