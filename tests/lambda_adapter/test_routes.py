"""Real-shaped events reach the test app's views and come back as Lambda responses."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client, override_settings

from django_aws_api_gateway_websockets.aws_lambda import handler, make_lambda_handler
from django_aws_api_gateway_websockets.models import ApiGateway, WebSocketSession
from django_aws_api_gateway_websockets.testing import capture_messages

from .events import SOURCE_IP, connect_event, disconnect_event, message_event

pytestmark = pytest.mark.django_db

SECRET = "lambda-test-secret"


def body(response: dict[str, Any]) -> Any:
    return json.loads(response["body"])


@pytest.fixture
def connected(gateway: ApiGateway, connection_id: str) -> str:
    response = handler(connect_event(connection_id=connection_id, query={"channel": "lobby"}), None)
    assert response["statusCode"] == 200
    return connection_id


def test_connect_records_the_connection(gateway: ApiGateway, connection_id: str) -> None:
    response = handler(connect_event(connection_id=connection_id, query={"channel": "lobby"}), None)

    assert response["statusCode"] == 200
    assert response["isBase64Encoded"] is False
    session = WebSocketSession.objects.get(connection_id=connection_id)
    assert session.connected
    assert session.channel_name == "lobby"
    assert session.api_gateway == gateway
    assert session.source_ip == SOURCE_IP
    assert session.user is None


def test_a_message_runs_the_handler_and_returns_its_result(connected: str) -> None:
    response = handler(
        message_event(connection_id=connected, body={"action": "shout", "text": "hi"}), None
    )

    assert response["statusCode"] == 200
    assert response["headers"]["Content-Type"] == "application/json"
    assert body(response) == {"shout": "HI"}
    assert WebSocketSession.objects.get(connection_id=connected).request_count == 1


@pytest.mark.parametrize(
    ("message", "status", "expected"),
    [
        ({"action": "plain"}, 200, "plain text"),
        ({"action": "teapot"}, 418, "short and stout"),
        ({"action": "silent"}, 200, ""),
        ({"action": "listing"}, 200, "[1, 2, 3]"),
    ],
)
def test_every_kind_of_handler_result(
    connected: str, message: dict[str, str], status: int, expected: str
) -> None:
    response = handler(message_event(connection_id=connected, body=message), None)

    assert response["statusCode"] == status
    assert response["body"] == expected


def test_disconnect_closes_the_row(connected: str) -> None:
    response = handler(disconnect_event(connection_id=connected), None)

    assert response["statusCode"] == 200
    assert not WebSocketSession.objects.get(connection_id=connected).connected


def test_a_handler_can_send_to_the_channel(connected: str, gateway: ApiGateway) -> None:
    with capture_messages() as outbox:
        response = handler(
            message_event(connection_id=connected, body={"action": "chat", "text": "hello"}), None
        )

    assert body(response) == {"ok": True}
    assert outbox.data_for(connected) == [{"user": "", "text": "hello"}]


def test_the_cookie_of_the_handshake_logs_the_user_in(
    gateway: ApiGateway, user: User, connection_id: str
) -> None:
    browser = Client()
    browser.force_login(user)
    cookie = f"csrftoken=abc; sessionid={browser.cookies['sessionid'].value}"
    event = connect_event(connection_id=connection_id, headers={"Cookie": cookie})

    assert handler(event, None)["statusCode"] == 200
    assert WebSocketSession.objects.get(connection_id=connection_id).user == user
    whoami = handler(message_event(connection_id=connection_id, body={"action": "whoami"}), None)
    assert body(whoami) == {"user": "alice", "authenticated": True, "channel": "default"}


def test_repeated_cookie_headers_are_joined(
    gateway: ApiGateway, user: User, connection_id: str
) -> None:
    browser = Client()
    browser.force_login(user)
    event = connect_event(connection_id=connection_id)
    event["multiValueHeaders"]["Cookie"] = [
        "theme=dark",
        f"sessionid={browser.cookies['sessionid'].value}",
    ]

    assert handler(event, None)["statusCode"] == 200
    assert WebSocketSession.objects.get(connection_id=connection_id).user == user


def test_repeated_query_parameters_reach_the_view(gateway: ApiGateway, connection_id: str) -> None:
    event = connect_event(connection_id=connection_id, query={"channel": "first"})
    event["multiValueQueryStringParameters"] = {"channel": ["first", "last"]}

    assert handler(event, None)["statusCode"] == 200
    # Several channels (docs/channels.md): the first is channel_name, both are joined.
    session = WebSocketSession.objects.get(connection_id=connection_id)
    assert session.channel_name == "first"
    assert set(session.memberships.values_list("channel_name", flat=True)) == {"first", "last"}


def test_a_refused_connect_answers_the_views_status(
    gateway: ApiGateway, connection_id: str
) -> None:
    vip = handler(connect_event(connection_id=connection_id, query={"channel": "vip"}), None)
    denied = handler(connect_event(connection_id=connection_id, headers={"X-Deny": "1"}), None)
    foreign = handler(
        connect_event(connection_id=connection_id, headers={"Origin": "https://evil.example"}),
        None,
    )

    assert (vip["statusCode"], body(vip)) == (
        403,
        {"$ws": "error", "error": "Not allowed to join this channel."},
    )
    assert denied["statusCode"] == 451
    assert body(foreign) == {"$ws": "error", "error": "Origin not allowed."}
    assert not WebSocketSession.objects.exists()


def test_an_unregistered_api_is_refused(gateway: ApiGateway, connection_id: str) -> None:
    response = handler(connect_event(connection_id=connection_id, api_id="someoneelse"), None)

    assert response["statusCode"] == 403
    assert not WebSocketSession.objects.exists()


def test_a_message_for_an_unknown_connection_is_a_404(gateway: ApiGateway) -> None:
    response = handler(message_event(connection_id="neverconnected0=", body={"x": 1}), None)

    assert (response["statusCode"], body(response)) == (
        404,
        {"$ws": "error", "error": "Unknown connection."},
    )


def test_a_failing_handler_answers_500_not_an_exception(
    gateway: ApiGateway, connection_id: str
) -> None:
    broken = make_lambda_handler(path_prefix="/quiet-broken-ws/")
    broken(connect_event(connection_id=connection_id), None)

    response = broken(message_event(connection_id=connection_id, body={"x": 1}), None)

    assert (response["statusCode"], body(response)) == (
        500,
        {"$ws": "error", "error": "Internal error."},
    )


@override_settings(WEBSOCKETS={"gateway_secret": [SECRET, "old-secret"]})
def test_the_adapter_supplies_the_gateway_secret(
    gateway: ApiGateway, connection_id: str, client: Client
) -> None:
    event = connect_event(connection_id=connection_id, headers={"x-ws-gateway-secret": "forged"})

    assert handler(event, None)["statusCode"] == 200
    # The same request straight over HTTP, without the secret, is refused.
    direct = client.post("/ws/default", headers={"Connectionid": connection_id})
    assert direct.status_code == 403


@pytest.mark.urls("tests.lambda_adapter.urls")
@pytest.mark.parametrize(
    ("route_key", "path"),
    [
        ("$default", "/lambda-ws/default"),
        ("sendmessage", "/lambda-ws/sendmessage"),
        ("chat_v2", "/lambda-ws/chat_v2"),
        ("chat/send", "/lambda-ws/default"),
        ("${request.body.action}", "/lambda-ws/default"),
        ("connect", "/lambda-ws/default"),
        ("disconnect", "/lambda-ws/default"),
    ],
)
def test_a_route_key_maps_to_the_routes_path(
    gateway: ApiGateway, connection_id: str, route_key: str, path: str
) -> None:
    where = make_lambda_handler(path_prefix="/lambda-ws")
    where(connect_event(connection_id=connection_id), None)

    response = where(
        message_event(connection_id=connection_id, body={"action": "where"}, route_key=route_key),
        None,
    )

    assert body(response) == {
        "path": path,
        "host": f"{gateway.api_id}.execute-api.eu-west-1.amazonaws.com",
        "secure": True,
    }
    assert WebSocketSession.objects.get(connection_id=connection_id).connected


@pytest.mark.urls("tests.lambda_adapter.urls")
def test_a_base64_body_is_decoded(gateway: ApiGateway, connection_id: str) -> None:
    where = make_lambda_handler(path_prefix="/lambda-ws/")
    where(connect_event(connection_id=connection_id), None)

    response = where(
        message_event(
            connection_id=connection_id, body={"action": "shout", "text": "é"}, base64_encoded=True
        ),
        None,
    )

    assert body(response) == {"shout": "É"}


@pytest.mark.urls("tests.lambda_adapter.urls")
def test_a_binary_response_is_returned_base64_encoded(
    gateway: ApiGateway, connection_id: str
) -> None:
    where = make_lambda_handler(path_prefix="/lambda-ws/")
    where(connect_event(connection_id=connection_id), None)

    response = where(message_event(connection_id=connection_id, body={"action": "binary"}), None)

    assert response["isBase64Encoded"] is True
    assert response["body"] == "/wD+"


def test_client_headers_cannot_pose_as_the_gateways(
    gateway: ApiGateway, connection_id: str
) -> None:
    spoofed = {
        "CONNECTIONID": "spoofedconnection",
        "x-amzn-apigateway-api-id": "someoneelse",
        "x-forwarded-for": "203.0.113.99",
        # Dropped, as WSGI servers drop it: it would read as "X-Deny" to Django.
        "X_Deny": "1",
    }

    response = handler(connect_event(connection_id=connection_id, headers=spoofed), None)

    assert response["statusCode"] == 200
    session = WebSocketSession.objects.get()
    assert (session.connection_id, session.source_ip) == (connection_id, SOURCE_IP)
