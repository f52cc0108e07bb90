"""Spans: one per gateway request, one per send batch, and chunk tasks linked to their enqueuer."""

from __future__ import annotations

from typing import Any

from django.test import override_settings
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from django_aws_api_gateway_websockets.conf import conf
from django_aws_api_gateway_websockets.models import WebSocketSession
from django_aws_api_gateway_websockets.tasks import enqueue_message
from django_aws_api_gateway_websockets.telemetry import tracer
from django_aws_api_gateway_websockets.testing import WebSocketTestClient
from django_aws_api_gateway_websockets.testing.capture import Outbox


def test_a_request_span_names_route_handler_status_and_connection(
    spans: InMemorySpanExporter, ws: WebSocketTestClient, ws_outbox: Outbox
) -> None:
    connection_id = ws.connect(channel="room").connection_id
    ws.connect(channel="room")
    spans.clear()

    assert ws.send(connection_id, {"action": "chat", "text": "hi"}).status_code == 200

    by_name = {span.name: span for span in spans.get_finished_spans()}
    request, batch = by_name["websockets.request"], by_name["websockets.send"]
    assert request.attributes is not None and batch.attributes is not None
    assert dict(request.attributes) == {
        "websockets.route": "default",
        "websockets.handler": "chat",
        "websockets.connection_id": connection_id,
        "http.response.status_code": 200,
    }
    assert dict(batch.attributes) == {"websockets.kind": "multicast", "websockets.fanout": 2}
    # The batch ran inside the request.
    assert batch.parent is not None
    assert batch.parent.span_id == request.context.span_id


def test_a_refused_request_is_a_span_too(
    spans: InMemorySpanExporter, ws: WebSocketTestClient, ws_outbox: Outbox
) -> None:
    assert ws.connect(channel="vip").response.status_code == 403

    [request] = spans.get_finished_spans()
    assert request.attributes is not None
    assert request.attributes["http.response.status_code"] == 403
    assert request.attributes["websockets.route"] == "connect"


def test_a_chunk_span_links_to_the_span_that_enqueued_it(
    spans: InMemorySpanExporter, ws: WebSocketTestClient, ws_outbox: Outbox
) -> None:
    for _ in range(3):
        ws.connect(channel="crowd")
    spans.clear()

    with (
        override_settings(WEBSOCKETS={**conf.WEBSOCKETS, "enqueue_chunk_size": 2}),
        tracer().start_as_current_span("the caller") as caller,
    ):
        enqueue_message(WebSocketSession.objects.in_channel("crowd"), {"hi": 1})

    chunks = [span for span in spans.get_finished_spans() if span.name == "websockets.send_chunk"]
    assert len(chunks) == 2
    for chunk in chunks:
        assert [link.context.span_id for link in chunk.links] == [caller.get_span_context().span_id]
        assert chunk.attributes is not None
        assert chunk.attributes["websockets.kind"] == "multicast"


def test_no_spans_when_switched_off(
    spans: InMemorySpanExporter, ws: WebSocketTestClient, ws_outbox: Outbox, settings: Any
) -> None:
    settings.WEBSOCKETS = {**conf.WEBSOCKETS, "telemetry_enabled": False}
    ws.connect()

    assert spans.get_finished_spans() == ()
