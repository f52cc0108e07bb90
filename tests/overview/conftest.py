"""Traffic for the overview: tabs opened and closed through the view, on two gateways."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractUser
from django.test import Client
from django.utils import timezone

from django_aws_api_gateway_websockets.models import ApiGateway, WebSocketSession
from django_aws_api_gateway_websockets.testing import WebSocketTestClient
from tests.conftest import API_ID

OTHER_API_ID = "otherapi77"
# ChatView without the $connect rate limit: some tests open many tabs.
PATH = "/open-ws/"


@pytest.fixture
def other_gateway(db: None) -> ApiGateway:
    return ApiGateway.objects.create(
        api_name="Other API",
        target_base_endpoint="https://app.example.com/ws/",
        api_id=OTHER_API_ID,
        api_endpoint="ws://127.0.0.1:8002",
    )


@pytest.fixture
def bob(db: None) -> AbstractUser:
    return get_user_model().objects.create_user(  # type: ignore[no-any-return]
        username="bob", password="pw"
    )


Tab = Callable[..., str]


@pytest.fixture
def tab(gateway: ApiGateway) -> Tab:
    """Open a connection through the view as ``user`` (None: anonymous); its connection id."""

    def open_tab(user: AbstractUser | None, *channels: str, api_id: str = API_ID) -> str:
        client = Client()
        if user is not None:
            client.force_login(user)
        ws = WebSocketTestClient(PATH, api_id=api_id, client=client)
        connection_id, response = ws.connect(channel=list(channels))
        assert response.status_code == 200, response.content
        return connection_id

    return open_tab


@dataclass
class Traffic:
    closed: str
    stale: str
    # When every other row was opened (and the closed one closed).
    at: datetime


@pytest.fixture
def traffic(tab: Tab, user: AbstractUser, bob: AbstractUser, other_gateway: ApiGateway) -> Traffic:
    """On the test gateway: alice in chat (two tabs, one also in presence-room), bob in
    presence-room and chat, an anonymous tab in news, and one tab closed again.
    On the other gateway: one anonymous tab in news."""
    tab(user, "chat")
    stale = tab(user, "chat", "presence-room")
    tab(bob, "presence-room", "chat")
    tab(None, "news")
    closed = tab(None, "news")
    response = WebSocketTestClient(PATH, api_id=API_ID).disconnect(closed)
    assert response.status_code == 200
    tab(None, "news", api_id=OTHER_API_ID)
    # All at one instant, so that they share one bar of the chart even if the
    # connects straddled a five-minute boundary.
    at = timezone.now() - timedelta(seconds=30)
    WebSocketSession.objects.update(created_on=at, updated_on=at)
    # Opened three hours ago and never closed: its $disconnect was lost.
    three_hours_ago = timezone.now() - timedelta(hours=3)
    WebSocketSession.objects.filter(connection_id=stale).update(created_on=three_hours_ago)
    return Traffic(closed=closed, stale=stale, at=at)
