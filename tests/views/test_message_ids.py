"""The client's message id: read from the body, validated, and acknowledged."""

from __future__ import annotations

from typing import Any

import pytest

from django_aws_api_gateway_websockets.models import WebSocketSession
from django_aws_api_gateway_websockets.testing import WebSocketTestClient
from django_aws_api_gateway_websockets.views.message_ids import acknowledged

VIEWS_LOGGER = "django_aws_api_gateway_websockets.views"
ID = "3f9a0c1e5b7d4e2a8c6b0d1f2e3a4b5c"


def test_the_handler_sees_the_message_id_and_the_reply_acknowledges_it(
    ws: WebSocketTestClient, connected: str
) -> None:
    response = ws.send(connected, {"handler": "message_id_seen", "client_message_id": ID})

    assert response.status_code == 200
    assert response.json() == {"$ws": "ack", "ack": ID, "reply": {"message_id": ID}}


def test_without_an_id_the_attribute_is_none_and_nothing_is_added(
    ws: WebSocketTestClient, connected: str
) -> None:
    assert ws.send(connected, {"handler": "message_id_seen"}).json() == {"message_id": None}
    silent = ws.send(connected, {"handler": "silent"})
    assert silent.status_code == 200
    assert silent.content == b""


@pytest.mark.parametrize(
    ("handler", "expected"),
    [
        # None becomes a bare acknowledgement; a keep-alive with an id is acknowledged too.
        ("silent", {"$ws": "ack", "ack": ID}),
        ("ping", {"$ws": "ack", "ack": ID}),
        # A dict or a list travels unchanged as the acknowledgement's reply.
        ("shout", {"$ws": "ack", "ack": ID, "reply": {"shout": ""}}),
        ("listing", {"$ws": "ack", "ack": ID, "reply": [1, 2, 3]}),
    ],
)
def test_acknowledgements(
    ws: WebSocketTestClient, connected: str, handler: str, expected: dict[str, Any]
) -> None:
    response = ws.send(connected, {"handler": handler, "client_message_id": ID})

    assert response.status_code == 200
    assert response.json() == expected


def test_the_applications_own_answers_pass_unchanged(
    ws: WebSocketTestClient, connected: str
) -> None:
    body = {"client_message_id": ID}
    assert ws.send(connected, {**body, "handler": "plain"}).content == b"plain text"
    teapot = ws.send(connected, {**body, "handler": "teapot"})
    assert (teapot.status_code, teapot.content) == (418, b"short and stout")


def test_a_reply_is_the_handlers_own_whatever_its_keys() -> None:
    # Keys the package's frames use, in an application's dict: left as they are.
    own = {"ack": "mine", "$ws_note": 1, "type": "subscribed", "error": "x", "refused": ID}
    assert acknowledged(own, ID) == {"$ws": "ack", "ack": ID, "reply": own}
    assert acknowledged({"x": 1}, None) == {"x": 1}
    assert acknowledged([], None) == []


@pytest.mark.parametrize(
    "bad",
    [
        "",
        "x" * 65,
        "has space",
        "semi;colon",
        "\u00e9t\u00e9",
        "nul\x00byte",
        5,
        None,
        ["a"],
        {"id": "a"},
    ],
)
def test_a_bad_message_id_is_a_400_and_changes_nothing(
    ws: WebSocketTestClient,
    connected: str,
    bad: object,
    caplog: pytest.LogCaptureFixture,
) -> None:
    before = WebSocketSession.objects.get(connection_id=connected).request_count

    with caplog.at_level("WARNING", logger=VIEWS_LOGGER):
        response = ws.send(connected, {"handler": "silent", "client_message_id": bad})

    assert response.status_code == 400
    assert "client_message_id" in response.json()["error"]
    assert WebSocketSession.objects.get(connection_id=connected).request_count == before
    assert [r.message for r in caplog.records if "bad client_message_id" in r.message]


def test_the_longest_id_is_accepted(ws: WebSocketTestClient, connected: str) -> None:
    long_id = "a-_Z9" * 12 + "abcd"
    assert len(long_id) == 64
    assert ws.send(connected, {"handler": "silent", "client_message_id": long_id}).json() == {
        "$ws": "ack",
        "ack": long_id,
    }


def test_a_refusal_names_the_message_it_refuses(ws: WebSocketTestClient, connected: str) -> None:
    bad_channel = {"handler": "subscribe", "channel": "no spaces"}

    refused = ws.send(connected, {**bad_channel, "client_message_id": ID})
    without_id = ws.send(connected, bad_channel)
    bad_id = ws.send(connected, {**bad_channel, "client_message_id": "not an id"})

    assert (refused.status_code, refused.json()["refused"]) == (400, ID)
    assert without_id.status_code == bad_id.status_code == 400
    assert "refused" not in without_id.json()
    assert "refused" not in bad_id.json()
