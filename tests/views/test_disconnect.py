"""$disconnect: best effort, never an error for the gateway."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import pytest

from django_aws_api_gateway_websockets import signals
from django_aws_api_gateway_websockets.models import ApiGateway, WebSocketSession
from django_aws_api_gateway_websockets.testing import WebSocketTestClient


def test_disconnect_marks_the_session_closed(ws: WebSocketTestClient, connected: str) -> None:
    response = ws.disconnect(connected)

    assert response.status_code == 200
    assert response.content == b""
    assert not WebSocketSession.objects.get(connection_id=connected).connected


def test_disconnect_twice_is_fine(ws: WebSocketTestClient, connected: str) -> None:
    assert [ws.disconnect(connected).status_code for _ in range(2)] == [200, 200]


def test_unknown_connection_is_200_and_logged(
    ws: WebSocketTestClient, gateway: ApiGateway, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="django_aws_api_gateway_websockets.views"):
        response = ws.disconnect("neverconnected0=")

    assert response.status_code == 200
    assert "unknown connection neverconnected0=" in caplog.text
    assert not WebSocketSession.objects.exists()


def test_invalid_connection_id_is_400(ws: WebSocketTestClient, gateway: ApiGateway) -> None:
    assert ws.disconnect("no spaces allowed").status_code == 400


def test_another_gateway_cannot_close_a_connection(
    make_ws_client: Callable[..., WebSocketTestClient], connected: str
) -> None:
    ApiGateway.objects.create(
        api_name="Other", target_base_endpoint="https://o.example/ws/", api_id="otherapi"
    )

    assert make_ws_client(api_id="otherapi").disconnect(connected).status_code == 403
    assert WebSocketSession.objects.get(connection_id=connected).connected


def test_disconnect_costs_three_queries(
    ws: WebSocketTestClient,
    connected: str,
    warm_gateway_cache: None,
    django_assert_num_queries: Any,
) -> None:
    # The session; its memberships deleted; the session marked closed.
    with django_assert_num_queries(3):
        ws.disconnect(connected)


def test_connection_closed_is_sent_after_commit(
    ws: WebSocketTestClient, connected: str, django_capture_on_commit_callbacks: Any
) -> None:
    received: list[dict[str, Any]] = []

    def receiver(**kwargs: Any) -> None:
        received.append(kwargs)

    signals.connection_closed.connect(receiver)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            ws.disconnect(connected)
            ws.disconnect("neverconnected0=")
    finally:
        signals.connection_closed.disconnect(receiver)

    assert len(received) == 1
    assert received[0]["session"].connection_id == connected
    assert received[0]["session"].connected is False


def test_a_failing_signal_receiver_does_not_fail_the_disconnect(
    ws: WebSocketTestClient, connected: str, django_capture_on_commit_callbacks: Any
) -> None:
    def broken(**kwargs: Any) -> None:
        raise RuntimeError("receiver bug")

    signals.connection_closed.connect(broken)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            response = ws.disconnect(connected)
    finally:
        signals.connection_closed.disconnect(broken)

    assert response.status_code == 200
