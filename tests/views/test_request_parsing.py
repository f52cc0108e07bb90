"""Requests Django itself cannot parse, and which ``?channel=`` a 4.x hook sees."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

import pytest

from django_aws_api_gateway_websockets import wire
from django_aws_api_gateway_websockets.models import WebSocketSession
from django_aws_api_gateway_websockets.testing import WebSocketTestClient
from tests.conftest import API_ID
from tests.testapp.views import FourXChannelCheckView

VIEWS_LOGGER = "django_aws_api_gateway_websockets.views"
# One more than Django's default DATA_UPLOAD_MAX_NUMBER_FIELDS.
TOO_MANY = 1001


def with_query(ws: WebSocketTestClient, request: wire.GatewayRequest, query: str) -> Any:
    return ws.perform(dataclasses.replace(request, query_string=query))


def fields(ws: WebSocketTestClient, connection_id: str) -> wire.GatewayFields:
    return {
        "connection_id": connection_id,
        "api_id": API_ID,
        "static_headers": ws.static_headers(),
    }


def test_a_thousand_and_one_channels_at_connect_are_a_400(
    ws: WebSocketTestClient, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level("WARNING", logger=VIEWS_LOGGER):
        connection_id, response = ws.connect(channel=[f"c{i}" for i in range(TOO_MANY)])

    assert response.status_code == 400
    assert response.json() == {"$ws": "error", "error": "Invalid query string."}
    assert "TooManyFieldsSent" in caplog.text
    assert not WebSocketSession.objects.filter(connection_id=connection_id).exists()


@pytest.mark.parametrize("route", ["message", "disconnect"])
def test_too_many_query_fields_on_the_other_routes_are_a_400(
    ws: WebSocketTestClient, connected: str, route: str, caplog: pytest.LogCaptureFixture
) -> None:
    if route == "message":
        request = wire.message_request(
            body=b'{"text": "hi"}', route_key=wire.DEFAULT_ROUTE, **fields(ws, connected)
        )
    else:
        request = wire.disconnect_request(**fields(ws, connected))
    query = "&".join(f"f{i}=x" for i in range(TOO_MANY))

    with caplog.at_level("WARNING", logger=VIEWS_LOGGER):
        response = with_query(ws, request, query)

    assert response.status_code == 400
    assert response.json() == {"$ws": "error", "error": "Invalid query string."}
    assert "TooManyFieldsSent" in caplog.text
    assert WebSocketSession.objects.get(connection_id=connected).connected


def test_a_query_over_the_upload_limit_is_a_400(
    ws: WebSocketTestClient, settings: Any, caplog: pytest.LogCaptureFixture
) -> None:
    settings.DATA_UPLOAD_MAX_NUMBER_FIELDS = 3

    with caplog.at_level("WARNING", logger=VIEWS_LOGGER):
        _, response = ws.connect(channel=["a", "b", "c", "d"])

    assert response.status_code == 400
    assert "TooManyFieldsSent" in caplog.text


# A 4.x check_connect reads request.GET.get("channel")


@pytest.fixture
def fourx(make_ws_client: Callable[..., WebSocketTestClient]) -> WebSocketTestClient:
    return make_ws_client("/fourx-channel-ws/")


def test_a_4x_hook_authorizes_the_first_channel_the_connection_gets(
    fourx: WebSocketTestClient,
) -> None:
    # Before: the hook saw "lobby" (the last value) and let "staff" in as the primary.
    _, response = fourx.connect(channel=["staff", "lobby"])

    assert response.status_code == 403
    assert not WebSocketSession.objects.filter(connected=True).exists()


def test_a_4x_hook_sees_the_primary_channel(fourx: WebSocketTestClient) -> None:
    connection_id, response = fourx.connect(channel=["lobby", "staff"])

    # The hook saw "lobby", the channel the connection got; "staff" is only an
    # extra channel, which can_join_channel (not the 4.x hook) decides.
    assert response.status_code == 200
    assert WebSocketSession.objects.get(connection_id=connection_id).channel_name == "lobby"


def test_the_primary_channel_survives_a_copy_of_the_query(
    fourx: WebSocketTestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: dict[str, Any] = {}

    def check_connect(view: Any, request: Any) -> None:
        seen.update(
            get=request.GET.get("channel"),
            item=request.GET["channel"],
            copied=request.GET.copy().get("channel"),
            all=request.GET.getlist("channel"),
        )

    monkeypatch.setattr(FourXChannelCheckView, "check_connect", check_connect)
    _, response = fourx.connect(channel=["a", "b", "c"])

    assert response.status_code == 200
    assert seen == {"get": "a", "item": "a", "copied": "a", "all": ["a", "b", "c"]}
