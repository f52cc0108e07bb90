"""Every metric instrument of the app, declared once.

docs/observability.md's table is checked against ``INSTRUMENTS`` (name, kind,
unit, attributes), so the page and the code cannot disagree. Attributes are
few and bounded: never a connection id or a user id; a channel name only when
``WEBSOCKETS["telemetry_channel_attributes"]`` allows it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from opentelemetry.metrics import Meter

COUNTER = "counter"
HISTOGRAM = "histogram"
GAUGE = "observable gauge"

# Send durations: from a 1 ms unicast to a fan-out of minutes.
SECONDS_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60)
# Dispatch durations: a view answers in milliseconds.
DISPATCH_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5)
# Connections per batch: unicast to a 100,000-member channel.
FANOUT_BUCKETS = (1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 25000, 100000)


@dataclass(frozen=True)
class Instrument:
    name: str
    kind: str
    unit: str
    attributes: tuple[str, ...]
    meaning: str
    buckets: tuple[float, ...] = ()

    def create(self, meter: Meter) -> Any:
        if self.kind == COUNTER:
            return meter.create_counter(self.name, unit=self.unit, description=self.meaning)
        if self.kind == HISTOGRAM:
            return meter.create_histogram(
                self.name,
                unit=self.unit,
                description=self.meaning,
                explicit_bucket_boundaries_advisory=list(self.buckets),
            )
        raise ValueError(f"{self.name}: a {self.kind} is created with its callback")


CONNECTIONS_OPENED = Instrument(
    "websockets.connections.opened",
    COUNTER,
    "{connection}",
    ("gateway",),
    "Connections accepted at `$connect`.",
)
CONNECTIONS_CLOSED = Instrument(
    "websockets.connections.closed",
    COUNTER,
    "{connection}",
    ("reason",),
    "Connected rows marked closed, by why: `disconnect`, `gone` (a send's 410), `reconcile`, "
    "`logout`, `expiry`, `admin`, `revoked` (user deactivated or password changed), "
    "`application` (your own `close_connections()`).",
)
CONNECTIONS_ACTIVE = Instrument(
    "websockets.connections.active",
    GAUGE,
    "{connection}",
    ("gateway",),
    "Rows connected now, per `ApiGateway` record (by api id): one grouped query, cached for "
    "`telemetry_active_connections_cache_seconds`.",
)
MESSAGES_RECEIVED = Instrument(
    "websockets.messages.received",
    COUNTER,
    "{request}",
    ("route", "handler", "status_class"),
    "Requests from the gateway (`$connect`, messages, `$disconnect`), by route (`connect`, "
    "`default`, `disconnect`, a custom route; `unknown` before the gateway was recognised), "
    "handler (`-` when none ran) and answer (`2xx`, `4xx`, `5xx`).",
)
DISPATCH_DURATION = Instrument(
    "websockets.dispatch.duration",
    HISTOGRAM,
    "s",
    ("route", "status_class"),
    "Time the view took to answer one gateway request.",
    DISPATCH_BUCKETS,
)
SENDS = Instrument(
    "websockets.sends",
    COUNTER,
    "{request}",
    ("outcome", "kind"),
    "Management API requests by outcome and kind. Outcomes, one per connection: `sent`, `gone`, "
    "`pending` (a 410 during `$connect`), `failed`; and per extra answer of the default "
    "transport: `throttled` (a 429), `retried` (a 5xx, a timeout). Kinds: `unicast`, "
    "`multicast`, `publish`, `presence`, `close`, `reconcile`.",
)
SEND_DURATION = Instrument(
    "websockets.send.duration",
    HISTOGRAM,
    "s",
    ("kind",),
    "Time one batch (one transport call) took.",
    SECONDS_BUCKETS,
)
FANOUT_SIZE = Instrument(
    "websockets.fanout.size",
    HISTOGRAM,
    "{connection}",
    ("kind",),
    "Connections in one batch.",
    FANOUT_BUCKETS,
)
PUBLISHES = Instrument(
    "websockets.publishes",
    COUNTER,
    "{message}",
    ("channel",),
    "Messages published (`publish`), kept in channel history; `channel` only with "
    "`telemetry_channel_attributes`.",
)
RESUMES = Instrument(
    "websockets.resumes",
    COUNTER,
    "{request}",
    ("result",),
    "`resume` requests answered: `served` (`resumed`) or `failed` (`resume_failed`: history "
    "no longer reaches back).",
)
PRESENCE_EVENTS = Instrument(
    "websockets.presence.events",
    COUNTER,
    "{event}",
    ("event",),
    "Presence events announced: `member_added`, `member_removed`.",
)
TOKENS = Instrument(
    "websockets.tokens",
    COUNTER,
    "{token}",
    ("result",),
    "Token requests to `WebSocketTokenView`: `issued` or `refused`.",
)
REFUSALS = Instrument(
    "websockets.refusals",
    COUNTER,
    "{request}",
    ("reason",),
    "Requests refused, by reason: `origin`, `secret` (gateway secret), `rate` (connect, token "
    "or inbound limit), `permission`, `channel` (channel rules, `can_join_channel`).",
)
RECONCILE_RESULTS = Instrument(
    "websockets.reconcile.results",
    COUNTER,
    "{connection}",
    ("result",),
    "Connections a reconcile asked about: `alive`, `gone`, `pending`, `failed`.",
)
TASK_CHUNKS = Instrument(
    "websockets.task.chunks",
    COUNTER,
    "{task}",
    ("state",),
    "Background `send_chunk` tasks: `enqueued`, `run`, `requeued`.",
)

INSTRUMENTS: tuple[Instrument, ...] = (
    CONNECTIONS_OPENED,
    CONNECTIONS_CLOSED,
    CONNECTIONS_ACTIVE,
    MESSAGES_RECEIVED,
    DISPATCH_DURATION,
    SENDS,
    SEND_DURATION,
    FANOUT_SIZE,
    PUBLISHES,
    RESUMES,
    PRESENCE_EVENTS,
    TOKENS,
    REFUSALS,
    RECONCILE_RESULTS,
    TASK_CHUNKS,
)
