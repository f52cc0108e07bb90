"""``ApiGateway.default_channel_name`` obeys the channel name rules, in the admin and $connect."""

from __future__ import annotations

import logging

import pytest
from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ValidationError

from django_aws_api_gateway_websockets.models import ApiGateway, WebSocketSession

from .conftest import Open

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.channel_rules.views")]


@pytest.mark.parametrize("name", ["my room!", "room.1", "é", " lobby"])
def test_the_field_refuses_a_name_no_channel_can_have(gateway: ApiGateway, name: str) -> None:
    gateway.default_channel_name = name
    with pytest.raises(ValidationError) as raised:
        gateway.full_clean()
    assert raised.value.message_dict["default_channel_name"] == [
        "A channel name may only contain letters, digits, '_' and '-'."
    ]


def test_the_field_accepts_a_channel_name(gateway: ApiGateway) -> None:
    gateway.default_channel_name = "Lobby_2-b"
    gateway.full_clean()


def test_connect_refuses_an_invalid_default_instead_of_joining_it(
    gateway: ApiGateway,
    open_connection: Open,
    outsider: AbstractUser,
    caplog: pytest.LogCaptureFixture,
) -> None:
    # Saved before the validator existed, or with update(), which skips it.
    ApiGateway.objects.filter(pk=gateway.pk).update(default_channel_name="my room!")

    with caplog.at_level(logging.WARNING, logger="django_aws_api_gateway_websockets.views"):
        connection = open_connection(outsider)

    assert connection.response.status_code == 500
    assert connection.response.json() == {
        "$ws": "error",
        "error": "This gateway's default channel is misconfigured.",
    }
    assert not WebSocketSession.objects.exists()
    (record,) = caplog.records
    assert record.levelno == logging.ERROR
    assert "has default_channel_name 'my room!'" in record.getMessage()
    assert "Fix it in the admin" in record.getMessage()
    # A page that names its channel is not affected.
    assert open_connection(outsider, "lobby").response.status_code == 200
