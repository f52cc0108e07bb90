"""Fixtures for channel rules: team members, outsiders, and connections through view A or B."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractUser, Group
from django.test import Client

from django_aws_api_gateway_websockets.models import ApiGateway
from django_aws_api_gateway_websockets.testing import Connection, WebSocketTestClient
from django_aws_api_gateway_websockets.testing.capture import Outbox
from tests.conftest import API_ID

Open = Callable[..., Connection]


def make_user(name: str, *teams: str, **fields: Any) -> AbstractUser:
    user: AbstractUser = get_user_model().objects.create_user(username=name, **fields)
    for team in teams:
        user.groups.add(Group.objects.get_or_create(name=f"team-{team}")[0])
    return user


@pytest.fixture(autouse=True)
def _sends_land_in_the_outbox(ws_outbox: Outbox) -> Outbox:
    """Every send lands in the outbox, so that a test can read what was sent.

    (Uncaptured, a send through the ``gateway`` record would be refused: its
    port is one the run holds and never listens on; see tests/conftest.py.)
    """
    return ws_outbox


@pytest.fixture
def member(db: None) -> AbstractUser:
    """In team "a": the rules let her into secret-a and presence-secret-a."""
    return make_user("mia", "a", is_staff=True)


@pytest.fixture
def outsider(db: None) -> AbstractUser:
    """In no team."""
    return make_user("olly")


@pytest.fixture
def open_connection(gateway: ApiGateway) -> Open:
    """$connect as ``user`` through view "a" or "b"; the connection, whatever the answer."""

    def open_(user: AbstractUser | None, channel: Any = None, *, view: str = "b") -> Connection:
        client = Client()
        if user is not None:
            client.force_login(user)
        ws = WebSocketTestClient(f"/{view}/", api_id=API_ID, client=client)
        return ws.connect(channel=channel)

    return open_


def connected(
    open_: Open, user: AbstractUser | None, channel: Any, *, view: str = "b"
) -> Connection:
    connection = open_(user, channel, view=view)
    assert connection.response.status_code == 200, connection.response.content
    return connection


def answer(connection: Connection, body: dict[str, Any]) -> tuple[int, Any]:
    response = connection.send(body)
    return response.status_code, response.json() if response.content else None
