"""Metrics and traces through the OpenTelemetry API: a no-op until the project installs an SDK.

Every place that counts calls one function of this module; the instruments
are declared in ``instruments`` (and listed in docs/observability.md).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import wraps
from typing import TYPE_CHECKING, Any, Protocol

from opentelemetry.trace import SpanKind, Status, StatusCode

from ..conf import conf
from . import instruments as spec
from .meter import enabled, instruments
from .tracing import current_span, current_traceparent, linked_span, tracer

if TYPE_CHECKING:
    from django.http import HttpRequest
    from django.http.response import HttpResponseBase

__all__ = [
    "chunk_span",
    "closed",
    "count_sends",
    "current_traceparent",
    "enabled",
    "extra_attempts",
    "observed_dispatch",
    "opened",
    "presence_event",
    "published",
    "reconciled",
    "refused",
    "resumed",
    "send_batch",
    "send_kind",
    "task_chunks",
    "token",
    "tracer",
]

# Send kinds (the ``kind`` attribute).
UNICAST = "unicast"
MULTICAST = "multicast"
PUBLISH = "publish"
PRESENCE = "presence"
CLOSE = "close"
RECONCILE = "reconcile"
# The route attribute of a request refused before its gateway was recognised:
# the URL's slug is the caller's to choose, so it is not an attribute then.
UNKNOWN_ROUTE = "unknown"
NO_HANDLER = "-"


def status_class(status: int) -> str:
    return f"{status // 100}xx"


# Connections


def opened(gateway_api_id: str) -> None:
    instruments()[spec.CONNECTIONS_OPENED].add(1, {"gateway": gateway_api_id or "none"})


def closed(count: int, reason: str) -> None:
    if count:
        instruments()[spec.CONNECTIONS_CLOSED].add(count, {"reason": reason})


# Requests


Dispatch = Callable[..., "HttpResponseBase"]


def observed_dispatch(dispatch: Dispatch) -> Dispatch:
    """Decorate ``WebSocketView.dispatch``: one span, one count and one duration per request."""

    @wraps(dispatch)
    def observed(view: Any, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        start = time.perf_counter()
        with current_span("websockets.request", SpanKind.SERVER) as span:
            status = 500
            try:
                response = dispatch(view, request, *args, **kwargs)
                status = response.status_code
                return response
            finally:
                route = str(kwargs.get("route", "")) if hasattr(view, "gateway") else ""
                route = route or UNKNOWN_ROUTE
                handler = view.handler_name or NO_HANDLER
                answer = status_class(status)
                record = instruments()
                record[spec.MESSAGES_RECEIVED].add(
                    1, {"route": route, "handler": handler, "status_class": answer}
                )
                record[spec.DISPATCH_DURATION].record(
                    time.perf_counter() - start, {"route": route, "status_class": answer}
                )
                if span.is_recording():
                    span.set_attributes(
                        {
                            "websockets.route": route,
                            "websockets.handler": handler,
                            "websockets.connection_id": getattr(view, "connection_id", ""),
                            "http.response.status_code": status,
                        }
                    )
                    if status >= 500:
                        span.set_status(Status(StatusCode.ERROR))

    return observed


def refused(reason: str) -> None:
    """A request refused for ``reason``: origin, secret, rate, permission or channel."""
    instruments()[spec.REFUSALS].add(1, {"reason": reason})


def token(result: str) -> None:
    instruments()[spec.TOKENS].add(1, {"result": result})


def resumed(*, failed: bool) -> None:
    instruments()[spec.RESUMES].add(1, {"result": "failed" if failed else "served"})


# Sends


def send_kind(kind: str | None, recipients: int) -> str:
    """``kind``, else unicast for one recipient and multicast for more."""
    if kind:
        return kind
    return UNICAST if recipients == 1 else MULTICAST


@contextmanager
def send_batch(kind: str, size: int) -> Iterator[None]:
    """One span, one duration and one fan-out size for one transport call."""
    start = time.perf_counter()
    try:
        with current_span("websockets.send", SpanKind.CLIENT) as span:
            if span.is_recording():
                span.set_attributes({"websockets.kind": kind, "websockets.fanout": size})
            yield
    finally:
        record = instruments()
        attributes = {"kind": kind}
        record[spec.SEND_DURATION].record(time.perf_counter() - start, attributes)
        record[spec.FANOUT_SIZE].record(size, attributes)


class _Outcomes(Protocol):
    @property
    def sent(self) -> int: ...

    @property
    def gone(self) -> int: ...

    @property
    def failed(self) -> int: ...

    @property
    def pending(self) -> int: ...


def _add_outcomes(
    instrument: spec.Instrument, result: _Outcomes, sent: str, **attributes: str
) -> None:
    """Add each outcome of ``result`` under the ``outcome`` or ``result`` attribute."""
    counter = instruments()[instrument]
    name = instrument.attributes[0]
    counts = {sent: result.sent, "gone": result.gone, "pending": result.pending}
    counts["failed"] = result.failed
    for outcome, count in counts.items():
        if count:
            counter.add(count, {name: outcome, **attributes})


def count_sends(kind: str, result: _Outcomes) -> None:
    """The outcomes of one send, close or reconcile (``sent``: answered 2xx)."""
    _add_outcomes(spec.SENDS, result, "sent", kind=kind)


def extra_attempts(kind: str, *, throttles: int, retries: int) -> None:
    """The transport's extra requests of one batch: 429s and retries (``Delivery``)."""
    counter = instruments()[spec.SENDS]
    if throttles:
        counter.add(throttles, {"outcome": "throttled", "kind": kind})
    if retries:
        counter.add(retries, {"outcome": "retried", "kind": kind})


def published(channel: str) -> None:
    attributes = {"channel": channel} if conf.telemetry_channel_attributes else {}
    instruments()[spec.PUBLISHES].add(1, attributes)


def presence_event(event: str) -> None:
    instruments()[spec.PRESENCE_EVENTS].add(1, {"event": event})


def reconciled(result: _Outcomes) -> None:
    """A reconcile's answers (``sent``: the connection is alive)."""
    _add_outcomes(spec.RECONCILE_RESULTS, result, "alive")


# Background chunks


def task_chunks(state: str, count: int = 1) -> None:
    """``send_chunk`` tasks ``enqueued``, ``run`` or ``requeued``."""
    if count:
        instruments()[spec.TASK_CHUNKS].add(count, {"state": state})


@contextmanager
def chunk_span(traceparent: str, kind: str) -> Iterator[None]:
    """The span of one ``send_chunk`` run, linked to the span that enqueued it."""
    task_chunks("run")
    with linked_span("websockets.send_chunk", traceparent) as span:
        if span.is_recording():
            span.set_attribute("websockets.kind", kind)
        yield
