"""Prometheus text exposition of the server's figures (no client library needed).

Counters and gauges are plain numbers; ``Histogram`` keeps cumulative buckets. Gauges that live
elsewhere (WebSocket clients, AMI connected) are read through callbacks at scrape time.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable

from aiohttp import web

LATENCY_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5)


class Histogram:
    def __init__(self, buckets: tuple[float, ...] = LATENCY_BUCKETS) -> None:
        self.buckets = buckets
        self.counts = [0] * (len(buckets) + 1)
        self.total = 0.0
        self.n = 0

    def observe(self, value: float) -> None:
        self.counts[bisect.bisect_left(self.buckets, value)] += 1
        self.total += value
        self.n += 1

    def lines(self, name: str) -> list[str]:
        out, acc = [], 0
        for bound, count in zip(self.buckets, self.counts, strict=False):
            acc += count
            out.append(f'{name}_bucket{{le="{bound}"}} {acc}')
        out.append(f'{name}_bucket{{le="+Inf"}} {self.n}')
        out.append(f"{name}_sum {self.total:.6f}")
        out.append(f"{name}_count {self.n}")
        return out


class Metrics:
    def __init__(self) -> None:
        self.counters: dict[str, float] = {}
        self.events_by_type: dict[str, int] = {}
        self.lookup_seconds = Histogram()
        self.gauges: dict[str, Callable[[], float]] = {}
        self.help: dict[str, str] = {
            "cti_events_ingested_total": "Domain events received from the PBX bridge",
            "cti_calls_total": "Calls seen (distinct Linkedid)",
            "cti_pops_sent_total": "Screen-pop messages queued to operator sockets",
            "cti_ws_dropped_total": "WebSocket clients dropped as too slow or gone",
            "cti_call_records_written_total": "Call record upserts committed",
            "cti_call_record_errors_total": "Call record batches that failed",
            "cti_logins_failed_total": "Failed login attempts",
        }

    def inc(self, name: str, by: float = 1.0) -> None:
        self.counters[name] = self.counters.get(name, 0.0) + by

    def event(self, kind: str) -> None:
        self.events_by_type[kind] = self.events_by_type.get(kind, 0) + 1

    def gauge(self, name: str, read: Callable[[], float], help_text: str) -> None:
        self.gauges[name] = read
        self.help[name] = help_text

    def render(self) -> str:
        out: list[str] = []
        out.append("# HELP cti_events_ingested_total " + self.help["cti_events_ingested_total"])
        out.append("# TYPE cti_events_ingested_total counter")
        for kind, n in sorted(self.events_by_type.items()):
            out.append(f'cti_events_ingested_total{{type="{kind}"}} {n}')
        for name in sorted(set(self.counters) | {k for k in self.help if k.endswith("_total")}):
            if name == "cti_events_ingested_total":
                continue
            out += [
                f"# HELP {name} {self.help.get(name, name)}",
                f"# TYPE {name} counter",
                f"{name} {self.counters.get(name, 0.0):g}",
            ]
        for name, read in sorted(self.gauges.items()):
            out += [
                f"# HELP {name} {self.help[name]}",
                f"# TYPE {name} gauge",
                f"{name} {float(read()):g}",
            ]
        name = "cti_lookup_latency_seconds"
        out += [f"# HELP {name} Ledger lookup by caller number", f"# TYPE {name} histogram"]
        out += self.lookup_seconds.lines(name)
        return "\n".join(out) + "\n"


async def metrics_handler(request: web.Request) -> web.Response:
    from cti_server.web.keys import METRICS

    return web.Response(
        text=request.app[METRICS].render(),
        content_type="text/plain",
        charset="utf-8",
        headers={"X-Content-Type-Options": "nosniff"},
    )
