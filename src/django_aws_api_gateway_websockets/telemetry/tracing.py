"""Spans: one per gateway request, one per send batch, one per background chunk.

A ``send_chunk`` task runs later, in another process: the enqueuing span's
context travels in the task's arguments as a W3C ``traceparent`` string, and
the chunk's span links to it (a link, not a parent: one request may enqueue
many chunks that run long after it answered).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from opentelemetry import trace
from opentelemetry.trace import Link, Span, SpanKind
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

from . import meter

_TRACEPARENT = "traceparent"
_propagator = TraceContextTextMapPropagator()
_off = trace.NoOpTracer()


def tracer() -> trace.Tracer:
    return trace.get_tracer(meter.SCOPE) if meter.enabled() else _off


def current_traceparent() -> str:
    """The current span's context as a ``traceparent`` value; "" when no span records."""
    carrier: dict[str, str] = {}
    _propagator.inject(carrier)
    return carrier.get(_TRACEPARENT, "")


@contextmanager
def linked_span(name: str, traceparent: str) -> Iterator[Span]:
    """A span for work enqueued elsewhere, linked to the span that enqueued it."""
    links = []
    if traceparent:
        context = _propagator.extract({_TRACEPARENT: traceparent})
        enqueued = trace.get_current_span(context).get_span_context()
        if enqueued.is_valid:
            links.append(Link(enqueued))
    with tracer().start_as_current_span(name, kind=SpanKind.CONSUMER, links=links) as span:
        yield span
