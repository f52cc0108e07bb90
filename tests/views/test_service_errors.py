"""Services raise ChannelErrors (ValueErrors free of HTTP); the view answers them as before."""

from __future__ import annotations

import logging

import pytest
from django.db import connection

from django_aws_api_gateway_websockets import subscriptions
from django_aws_api_gateway_websockets.channels import validate_channel_name
from django_aws_api_gateway_websockets.exceptions import (
    ChannelError,
    InvalidChannelName,
    Refused,
    TooManyChannels,
)
from django_aws_api_gateway_websockets.models import ApiGateway, ChannelMembership, WebSocketSession
from django_aws_api_gateway_websockets.testing import WebSocketTestClient
from tests.conftest import API_ID

VIEWS_LOGGER = "django_aws_api_gateway_websockets.views"


@pytest.mark.parametrize(
    ("name", "message", "reason"),
    [
        (None, "Channel name must be a non-empty string.", "channel not a string"),
        ("x" * 101, "Channel name longer than 100 characters.", "channel name of 101 characters"),
        ("a b", "Channel name may only contain letters, digits, '_' and '-'.", "'a b'"),
    ],
)
def test_a_bad_channel_name_is_a_value_error_without_http(
    name: object, message: str, reason: str
) -> None:
    with pytest.raises(InvalidChannelName) as raised:
        validate_channel_name(name)

    error = raised.value
    assert isinstance(error, ValueError)
    assert isinstance(error, ChannelError)
    assert not isinstance(error, Refused)
    assert not hasattr(error, "status")
    assert (str(error), error.message) == (message, message)
    assert reason in error.reason


def test_joining_over_the_limit_raises_too_many_channels_and_joins_nothing(
    gateway: ApiGateway,
) -> None:
    session = WebSocketSession.objects.create(connection_id="c1", channel_name="a")
    subscriptions.join(session, {"a": None, "b": None})

    with pytest.raises(TooManyChannels, match=r"^A connection may be in at most 2 channels\.$"):
        subscriptions.join(session, {"c": None}, limit=2)

    assert isinstance(TooManyChannels("x"), ValueError)
    assert set(
        ChannelMembership.objects.filter(session=session).values_list("channel_name", flat=True)
    ) == {"a", "b"}


@pytest.mark.django_db(transaction=True)
def test_a_handlers_channel_error_is_a_400_naming_the_message_and_writes_nothing(
    gateway: ApiGateway, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setitem(connection.settings_dict, "ATOMIC_REQUESTS", True)
    ws = WebSocketTestClient("/channel-error-ws/", api_id=API_ID)
    connection_id, _ = ws.connect()

    with caplog.at_level(logging.WARNING, logger=VIEWS_LOGGER):
        response = ws.send(connection_id, {"room": "a b", "client_message_id": "m-1"})

    assert response.status_code == 400
    assert response.json() == {
        "$ws": "error",
        "error": "Channel name may only contain letters, digits, '_' and '-'.",
        "refused": "m-1",
    }
    assert [r.getMessage() for r in caplog.records if r.name == VIEWS_LOGGER] == [
        f"Refused /channel-error-ws/default 400 (connection {connection_id}): "
        "channel name 'a b' has other characters"
    ]
    assert WebSocketSession.objects.get(connection_id=connection_id).channel_name == "default"
    # The same handler with a good name answers 200.
    assert ws.send(connection_id, {"room": "lobby"}).json() == {"room": "lobby"}


def test_a_subscribe_over_the_limit_is_still_a_400(gateway: ApiGateway, settings: object) -> None:
    settings.WEBSOCKETS = {"max_channels_per_connection": 1}  # type: ignore[attr-defined]
    ws = WebSocketTestClient("/ws/", api_id=API_ID)
    connection_id, _ = ws.connect(channel="a")

    response = ws.send(connection_id, {"handler": "subscribe", "channel": "b"})

    assert response.status_code == 400
    assert response.json()["error"] == "A connection may be in at most 1 channels."
