"""LoginRequiredMiddleware (Django 5.1+) must not redirect the gateway or the token request."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.conf import settings as django_settings

from django_aws_api_gateway_websockets.testing import WebSocketTestClient


@pytest.fixture
def login_required(settings: Any) -> None:
    settings.MIDDLEWARE = [
        *django_settings.MIDDLEWARE,
        "django.contrib.auth.middleware.LoginRequiredMiddleware",
    ]


def test_the_gateways_requests_reach_the_view(
    login_required: None, make_ws_client: Callable[..., WebSocketTestClient]
) -> None:
    connection = make_ws_client().connect(channel="lobby")
    assert connection.response.status_code == 200
    assert connection.send({"action": "ping"}).status_code == 200
    assert connection.disconnect().status_code == 200


def test_an_anonymous_token_request_is_a_json_403_not_a_redirect(
    login_required: None, db: None
) -> None:
    from django.test import Client

    response = Client().post("/ws-token/")
    assert response.status_code == 403
    assert response.json() == {"$ws": "error", "error": "Authentication required."}
