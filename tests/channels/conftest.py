"""Fixtures for subscriptions and presence: two users, tabs, and a captured outbox."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractUser
from django.test import Client

from django_aws_api_gateway_websockets import protocol
from django_aws_api_gateway_websockets.models import ApiGateway
from django_aws_api_gateway_websockets.testing import WebSocketTestClient
from django_aws_api_gateway_websockets.testing.capture import Outbox
from tests.conftest import API_ID

PASSWORD = "correct horse battery staple"


@pytest.fixture
def bob(db: None) -> AbstractUser:
    return get_user_model().objects.create_user(  # type: ignore[no-any-return]
        username="bob", password=PASSWORD
    )


def logged_in(user: AbstractUser) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def tab(gateway: ApiGateway, ws_outbox: Outbox) -> Callable[..., str]:
    """Open a connection (a browser tab) as ``user`` (None: anonymous); its connection id.

    Every send of the test goes to ``ws_outbox``.
    """

    def open_tab(
        user: AbstractUser | None = None, *, channel: Any = None, path: str = "/ws/"
    ) -> str:
        client = logged_in(user) if user is not None else Client()
        ws = WebSocketTestClient(path, api_id=API_ID, client=client)
        connection_id, response = ws.connect(channel=channel)
        assert response.status_code == 200, response.content
        return connection_id

    return open_tab


def send(ws: WebSocketTestClient, connection_id: str, body: dict[str, Any]) -> Any:
    response = ws.send(connection_id, body)
    return response.status_code, response.json() if response.content else None


def events(outbox: Outbox, connection_id: str) -> list[dict[str, Any]]:
    """The presence events delivered to one connection, oldest first."""
    presence = {protocol.MEMBER_ADDED.name, protocol.MEMBER_REMOVED.name}
    return [
        m
        for m in outbox.data_for(connection_id)
        if isinstance(m, dict) and m.get(protocol.FRAME_KEY) in presence
    ]
