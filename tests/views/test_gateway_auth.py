"""Is the request from our gateway? Secret first, then headers, then api id."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from django_aws_api_gateway_websockets import wire
from django_aws_api_gateway_websockets.models import ApiGateway, WebSocketSession
from django_aws_api_gateway_websockets.testing import WebSocketTestClient
from tests.conftest import API_ID

SECRET = "s3cret-value"


@pytest.fixture
def with_secret(settings: Any) -> None:
    settings.WEBSOCKETS = {"gateway_secret": [SECRET, "next-secret"]}


@pytest.mark.parametrize("route", ["connect", "default", "disconnect", "custom-route"])
@pytest.mark.parametrize("secret", ["", "wrong", SECRET + "x", SECRET[:-1]])
def test_wrong_secret_is_refused_before_any_query(
    make_ws_client: Callable[..., WebSocketTestClient],
    with_secret: None,
    django_assert_num_queries: Any,
    route: str,
    secret: str,
) -> None:
    ws = make_ws_client(gateway_secret=secret)
    with django_assert_num_queries(0):
        if route == "connect":
            response = ws.connect().response
        elif route == "disconnect":
            response = ws.disconnect("abc")
        else:
            response = ws.send("abc", {"x": 1}, route=route)

    assert response.status_code == 403
    assert response.json() == {"$ws": "error", "error": "Forbidden."}


def test_every_listed_secret_is_accepted(
    make_ws_client: Callable[..., WebSocketTestClient], with_secret: None
) -> None:
    for secret in (SECRET, "next-secret", None):  # None: the first from settings
        connection_id, response = make_ws_client(gateway_secret=secret).connect()
        assert response.status_code == 200
        assert make_ws_client(gateway_secret=secret).send(connection_id, {}).status_code == 200


def test_a_single_secret_string(
    make_ws_client: Callable[..., WebSocketTestClient], settings: Any
) -> None:
    settings.WEBSOCKETS = {"gateway_secret": SECRET}

    assert make_ws_client(gateway_secret="").connect().response.status_code == 403
    assert make_ws_client().connect().response.status_code == 200


@pytest.mark.parametrize("missing", wire.GATEWAY_HEADERS)
def test_gateway_headers_are_required(
    ws: WebSocketTestClient, missing: str, gateway: ApiGateway
) -> None:
    request = wire.connect_request(
        connection_id="abc", api_id=API_ID, client_headers={"Origin": "http://testserver"}
    )
    headers = {name: value for name, value in request.headers.items() if name != missing}

    response = Client().post("/ws/connect", headers=headers)

    assert response.status_code == 400
    assert response.json() == {"$ws": "error", "error": f"Missing header(s): {missing}."}


@pytest.mark.parametrize("api_id", ["unregistered", "bad id!", "x" * 65])
def test_unknown_api_id_is_refused(
    make_ws_client: Callable[..., WebSocketTestClient], api_id: str
) -> None:
    _, response = make_ws_client(api_id=api_id).connect()

    assert response.status_code == 403
    assert response.json() == {"$ws": "error", "error": "Unknown API Gateway."}
    assert not WebSocketSession.objects.exists()


def test_a_registered_gateway_costs_no_query_once_cached(
    ws: WebSocketTestClient, connected: str, django_assert_num_queries: Any
) -> None:
    # ``connected`` looked the gateway up; the message pays only its own two queries.
    with django_assert_num_queries(2):
        assert ws.send(connected, {}).status_code == 200


def test_a_gateway_registered_later_is_seen(
    make_ws_client: Callable[..., WebSocketTestClient], gateway: ApiGateway
) -> None:
    ws = make_ws_client(api_id="laterapi")
    assert ws.connect().response.status_code == 403

    ApiGateway.objects.create(
        api_name="Later", target_base_endpoint="https://l.example/ws/", api_id="laterapi"
    )

    assert ws.connect().response.status_code == 200


def test_user_agent_is_not_checked_by_default(ws: WebSocketTestClient, connected: str) -> None:
    response = ws.send(connected, {}, headers={"User-Agent": "curl/8"})

    assert response.status_code == 200


def test_user_agent_prefix_when_configured(
    make_ws_client: Callable[..., WebSocketTestClient],
) -> None:
    ws = make_ws_client("/strict-ws/")
    key = {"Sec-WebSocket-Key": "x"}
    # $connect carries the browser's User-Agent: never checked there.
    connection_id, response = ws.connect(headers={**key, "User-Agent": "Mozilla/5.0"})
    assert response.status_code == 200

    assert ws.send(connection_id, {}).status_code == 200
    assert ws.send(connection_id, {}, headers={"User-Agent": "curl/8"}).status_code == 403
    assert ws.disconnect(connection_id, headers={"User-Agent": "curl/8"}).status_code == 403
    assert ws.disconnect(connection_id).status_code == 200


def test_get_is_405(client: Client, gateway: ApiGateway) -> None:
    response = client.get("/ws/default")

    assert response.status_code == 405
    assert response["Allow"] == "POST"
    assert response.json() == {"$ws": "error", "error": "Method not allowed."}
