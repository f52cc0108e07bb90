"""One view class, two deployments: HTTP_PROXY and Lambda get the same answers."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client, override_settings

from django_aws_api_gateway_websockets.aws_lambda import handler
from django_aws_api_gateway_websockets.models import ApiGateway, WebSocketSession
from django_aws_api_gateway_websockets.testing import WebSocketTestClient
from tests.conftest import API_ID

from .events import ORIGIN, SOURCE_IP, connect_event, disconnect_event, message_event

pytestmark = pytest.mark.django_db

Answer = tuple[int, Any]
MESSAGES: list[tuple[str, dict[str, Any] | str]] = [
    ("$default", {"text": "hello"}),
    ("shout", {"action": "shout", "text": "hi"}),
    ("$default", {"action": "whoami"}),
    ("$default", {"action": "change_channel", "channel": "news"}),
    ("$default", {"action": "whoami"}),
    ("$default", {"action": "change_channel", "channel": "vip"}),
    ("$default", "not json"),
    ("$default", {"action": "plain"}),
]


def decoded(status: int, content: str) -> Answer:
    try:
        return status, json.loads(content)
    except ValueError:
        return status, content


def over_http(browser: Client, connection_id: str) -> list[Answer]:
    ws = WebSocketTestClient(
        "/ws/", api_id=API_ID, client=browser, origin=ORIGIN, source_ip=SOURCE_IP
    )
    answers = []
    _, response = ws.connect(connection_id, channel="lobby")
    answers.append(decoded(response.status_code, response.content.decode()))
    for route, message in MESSAGES:
        response = ws.send(connection_id, message, route=route)
        answers.append(decoded(response.status_code, response.content.decode()))
    response = ws.disconnect(connection_id)
    answers.append(decoded(response.status_code, response.content.decode()))
    return answers


def over_lambda(browser: Client, connection_id: str) -> list[Answer]:
    cookie = f"sessionid={browser.cookies['sessionid'].value}"
    events = [
        connect_event(
            connection_id=connection_id, headers={"Cookie": cookie}, query={"channel": "lobby"}
        ),
        *(
            message_event(connection_id=connection_id, body=message, route_key=route)
            for route, message in MESSAGES
        ),
        disconnect_event(connection_id=connection_id),
    ]
    answers = []
    for event in events:
        response = handler(event, None)
        answers.append(decoded(response["statusCode"], response["body"]))
    return answers


def session_state(connection_id: str) -> dict[str, Any]:
    return dict(
        WebSocketSession.objects.filter(connection_id=connection_id).values(
            "channel_name", "user__username", "connected", "request_count", "source_ip"
        )[0]
    )


@override_settings(WEBSOCKETS={"gateway_secret": "the-secret"})
@pytest.mark.parametrize("run", [over_http, over_lambda], ids=["http", "lambda"])
def test_both_paths_answer_alike(
    gateway: ApiGateway, user: User, run: Callable[[Client, str], list[Answer]]
) -> None:
    browser = Client()
    browser.force_login(user)

    answers = run(browser, "Conn1234567890A=")

    assert answers == [
        (200, ""),
        (200, {"echo": {"text": "hello"}, "user": "alice"}),
        (200, {"shout": "HI"}),
        (200, {"user": "alice", "authenticated": True, "channel": "lobby"}),
        (200, {"$ws": "channel_changed", "channel": "news", "previous_channel": "lobby"}),
        (200, {"user": "alice", "authenticated": True, "channel": "news"}),
        (403, {"$ws": "error", "error": "Not allowed to join this channel."}),
        (400, {"$ws": "error", "error": "Message is not valid JSON."}),
        (200, "plain text"),
        (200, ""),
    ]
    assert session_state("Conn1234567890A=") == {
        "channel_name": "news",
        "user__username": "alice",
        "connected": False,
        "request_count": 7,
        "source_ip": SOURCE_IP,
    }
