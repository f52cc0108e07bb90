"""Fixtures for the view tests: a simulated gateway in front of each test view."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.contrib.auth.models import User
from django.test import Client

from django_aws_api_gateway_websockets import gateway_auth
from django_aws_api_gateway_websockets.models import ApiGateway, WebSocketSession
from django_aws_api_gateway_websockets.testing import WebSocketTestClient
from django_aws_api_gateway_websockets.testing.capture import ws_outbox  # noqa: F401
from tests.conftest import API_ID

PASSWORD = "correct horse battery staple"


@pytest.fixture
def ws_client(gateway: ApiGateway) -> Callable[..., WebSocketTestClient]:
    """Factory: a simulated gateway in front of the test view at ``path``."""

    def make(path: str = "/ws/", **kwargs: object) -> WebSocketTestClient:
        kwargs.setdefault("api_id", API_ID)
        return WebSocketTestClient(path, **kwargs)  # type: ignore[arg-type]

    return make


@pytest.fixture
def ws(ws_client: Callable[..., WebSocketTestClient]) -> WebSocketTestClient:
    return ws_client()


@pytest.fixture
def warm_gateway_cache(gateway: ApiGateway) -> None:
    """Look the gateway up once, as a running process would have done already."""
    found = gateway_auth.cached_gateway(API_ID)
    assert found is not None and found.pk == gateway.pk


@pytest.fixture
def browser(user: User) -> Client:
    """A logged-in browser: its cookies reach $connect."""
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def connected(ws: WebSocketTestClient) -> str:
    """The connection id of an open anonymous connection."""
    connection_id, response = ws.connect()
    assert response.status_code == 200
    return connection_id


@pytest.fixture
def user_connection(
    ws_client: Callable[..., WebSocketTestClient], browser: Client
) -> tuple[WebSocketTestClient, str]:
    ws = ws_client(client=browser)
    connection_id, response = ws.connect()
    assert response.status_code == 200
    assert WebSocketSession.objects.get(connection_id=connection_id).user_id is not None
    return ws, connection_id
