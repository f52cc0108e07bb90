"""More channels and connections add no time series (benchmarks/telemetry.py counts 10,000)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django_aws_api_gateway_websockets import publishing
from django_aws_api_gateway_websockets.testing import WebSocketTestClient
from django_aws_api_gateway_websockets.testing.capture import Outbox

from .readings import Readings


def traffic(ws: WebSocketTestClient, channels: range) -> None:
    for number in channels:
        for _ in range(2):
            connection_id = ws.connect(channel=f"room-{number}").connection_id
            ws.send(connection_id, {"action": "chat", "text": "hi"})
        publishing.publish(f"room-{number}", {"n": number})
        ws.disconnect(connection_id)


def test_new_channels_and_connections_add_no_series(
    readings: Readings,
    make_ws_client: Callable[..., WebSocketTestClient],
    ws_outbox: Outbox,
    django_capture_on_commit_callbacks: Any,
) -> None:
    ws = make_ws_client("/open-ws/")  # no connect rate limit
    with django_capture_on_commit_callbacks(execute=True):
        traffic(ws, range(5))
    before = readings.series()

    with django_capture_on_commit_callbacks(execute=True):
        traffic(ws, range(5, 25))

    assert readings.delta("websockets.connections.opened") == 50
    assert readings.series() == before
