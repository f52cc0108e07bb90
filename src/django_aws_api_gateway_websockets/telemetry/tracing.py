"""Spans: one per gateway request, one per send batch, one per background chunk.

A ``send_chunk`` task runs later, in another process: the enqueuing span's
context travels in the task's arguments as a W3C ``traceparent`` string, and
the chunk's span links to it (a link, not a parent: one request may enqueue
many chunks that run long after it answered).
"""

from __future__ import annotations

from collections.abc import Sequence
from types import TracebackType

from opentelemetry import context, trace
from opentelemetry.trace import Link, Span, SpanKind, Status, StatusCode
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

from . import meter

_TRACEPARENT = "traceparent"
_propagator = TraceContextTextMapPropagator()
_off = trace.NoOpTracer()
# The API's proxy: it follows the global provider, whenever that is set.
_tracer = trace.get_tracer(meter.SCOPE)


def tracer() -> trace.Tracer:
    return _tracer if meter.enabled() else _off


def current_traceparent() -> str:
    """The current span's context as a ``traceparent`` value; "" when no span records."""
    carrier: dict[str, str] = {}
    _propagator.inject(carrier)
    return carrier.get(_TRACEPARENT, "")


class Current:
    """``with Current(span)``: ``span`` is the current span inside the block, and ends with it.

    The API's ``start_as_current_span`` does the same through three generator
    context managers; a gateway request pays for this one on every message.
    A span with no valid context (no SDK installed) is not made current: there
    is nothing for the spans inside to hang on to.
    """

    __slots__ = ("span", "_token")

    def __init__(self, span: Span) -> None:
        self.span = span
        self._token: object = None

    def __enter__(self) -> Span:
        if self.span.get_span_context().is_valid:
            self._token = context.attach(trace.set_span_in_context(self.span))
        return self.span

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if self._token is not None:
            context.detach(self._token)  # type: ignore[arg-type]
        if isinstance(error, Exception) and self.span.is_recording():
            self.span.record_exception(error)
            self.span.set_status(Status(StatusCode.ERROR, f"{type(error).__name__}: {error}"))
        self.span.end()


def current_span(name: str, kind: SpanKind, links: Sequence[Link] = ()) -> Current:
    return Current(tracer().start_span(name, kind=kind, links=links))


def linked_span(name: str, traceparent: str) -> Current:
    """A span for work enqueued elsewhere, linked to the span that enqueued it."""
    links = []
    if traceparent:
        enqueuer = _propagator.extract({_TRACEPARENT: traceparent})
        enqueued = trace.get_current_span(enqueuer).get_span_context()
        if enqueued.is_valid:
            links.append(Link(enqueued))
    return current_span(name, SpanKind.CONSUMER, links)
