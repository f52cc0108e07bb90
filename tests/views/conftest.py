"""Fixtures for the view tests (``make_ws_client`` and ``ws`` are shared: tests/conftest.py)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.contrib.auth.models import User
from django.test import Client

from django_aws_api_gateway_websockets import gateway_auth
from django_aws_api_gateway_websockets.models import ApiGateway, WebSocketSession
from django_aws_api_gateway_websockets.testing import WebSocketTestClient
from tests.conftest import API_ID

PASSWORD = "correct horse battery staple"


@pytest.fixture
def warm_gateway_cache(gateway: ApiGateway) -> None:
    """Look the gateway up once, as a running process would have done already."""
    found = gateway_auth.cached_gateway(API_ID)
    assert found is not None and found.pk == gateway.pk


@pytest.fixture
def logged_in_client(user: User) -> Client:
    """A Django test client logged in as ``user``: its cookies reach $connect."""
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
    make_ws_client: Callable[..., WebSocketTestClient], logged_in_client: Client
) -> tuple[WebSocketTestClient, str]:
    ws = make_ws_client(client=logged_in_client)
    connection_id, response = ws.connect()
    assert response.status_code == 200
    assert WebSocketSession.objects.get(connection_id=connection_id).user_id is not None
    return ws, connection_id
