"""Defaults as 4.x published them: a view written for 4.x keeps its behaviour."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from django_aws_api_gateway_websockets.testing import WebSocketTestClient
from django_aws_api_gateway_websockets.views import WebSocketView

pytestmark = pytest.mark.django_db


@pytest.fixture
def fourx(make_ws_client: Callable[..., WebSocketTestClient]) -> WebSocketTestClient:
    return make_ws_client("/fourx-ws/")


def test_tokens_are_on_by_default(fourx: WebSocketTestClient, logged_in_client: Client) -> None:
    assert WebSocketView.USE_WS_TOKEN is True
    assert fourx.connect().response.status_code == 401  # no token: refused

    token = logged_in_client.post("/ws-token/").json()["token"]
    connection_id, response = fourx.connect(token=token)

    assert response.status_code == 200
    assert fourx.send(connection_id, {"action": "hello"}).json() == {"hello": "alice"}


def test_an_empty_allowed_handlers_means_the_views_own_methods(
    fourx: WebSocketTestClient, logged_in_client: Client
) -> None:
    token = logged_in_client.post("/ws-token/").json()["token"]
    connection_id, _ = fourx.connect(token=token)

    assert fourx.send(connection_id, {"handler": "hello"}).json() == {"hello": "alice"}


def test_a_rate_limit_of_zero_means_the_setting(fourx: WebSocketTestClient, settings: Any) -> None:
    settings.WEBSOCKETS = {"rate_limit_max_attempts": 2}

    statuses = [fourx.connect(token="0" * 64).response.status_code for _ in range(3)]

    # An unknown token is counted, then refused; the third attempt meets the limit.
    assert statuses == [401, 401, 429]
