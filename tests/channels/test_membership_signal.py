"""``signals.membership_changed``: sent in the transaction, under the locks; presence hears it."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.contrib.auth.models import AbstractUser
from django.db import connection

from django_aws_api_gateway_websockets.models import ChannelMembership
from django_aws_api_gateway_websockets.receivers import announce_presence
from django_aws_api_gateway_websockets.signals import membership_changed
from django_aws_api_gateway_websockets.subscriptions import (
    MEMBER_ADDED,
    MEMBER_REMOVED,
    PresenceChange,
)
from django_aws_api_gateway_websockets.testing import WebSocketTestClient
from django_aws_api_gateway_websockets.testing.capture import Outbox

from .conftest import events, send

pytestmark = pytest.mark.django_db(transaction=True)

Tab = Callable[..., str]
ROOM = "presence-room"
# The dispatch_uid of the app's own receiver (receivers.announce_presence).
PRESENCE_RECEIVER = "django_aws_api_gateway_websockets.presence"


@pytest.fixture
def received() -> Iterator[list[dict[str, Any]]]:
    """What a project's receiver of membership_changed is given, and what it sees then."""
    calls: list[dict[str, Any]] = []

    def record(sender: Any, changes: list[PresenceChange], using: str, **kwargs: Any) -> None:
        calls.append(
            {
                "sender": sender,
                "changes": [(c.channel, c.event, c.user_id) for c in changes],
                "using": using,
                "in_transaction": connection.in_atomic_block,
            }
        )

    membership_changed.connect(record, dispatch_uid="test-membership-changed")
    yield calls
    membership_changed.disconnect(dispatch_uid="test-membership-changed")


def test_it_fires_for_the_first_tab_in_and_the_last_tab_out_inside_the_transaction(
    tab: Tab, ws: WebSocketTestClient, user: AbstractUser, received: list[dict[str, Any]]
) -> None:
    first, second = tab(user), tab(user)

    assert send(ws, first, {"handler": "subscribe", "channel": ROOM})[0] == 200
    assert send(ws, second, {"handler": "subscribe", "channel": ROOM})[0] == 200
    assert send(ws, first, {"handler": "unsubscribe", "channel": ROOM})[0] == 200
    assert send(ws, second, {"handler": "unsubscribe", "channel": ROOM})[0] == 200

    assert received == [
        {
            "sender": ChannelMembership,
            "changes": [(ROOM, MEMBER_ADDED, user.pk)],
            "using": "default",
            "in_transaction": True,
        },
        {
            "sender": ChannelMembership,
            "changes": [(ROOM, MEMBER_REMOVED, user.pk)],
            "using": "default",
            "in_transaction": True,
        },
    ]


def test_it_does_not_fire_for_a_plain_channel(
    tab: Tab, ws: WebSocketTestClient, user: AbstractUser, received: list[dict[str, Any]]
) -> None:
    connection_id = tab(user)
    assert send(ws, connection_id, {"handler": "subscribe", "channel": "lobby"})[0] == 200
    assert received == []


def test_presence_events_come_from_the_apps_receiver(
    tab: Tab, ws: WebSocketTestClient, ws_outbox: Outbox, user: AbstractUser, bob: AbstractUser
) -> None:
    bobs = tab(bob, channel=ROOM)
    alices = tab(user)
    assert membership_changed.disconnect(
        announce_presence, sender=ChannelMembership, dispatch_uid=PRESENCE_RECEIVER
    )
    try:
        assert send(ws, alices, {"handler": "subscribe", "channel": ROOM})[0] == 200
        # Without presence's receiver, the join is not announced.
        assert events(ws_outbox, bobs) == []
    finally:
        membership_changed.connect(
            announce_presence, sender=ChannelMembership, dispatch_uid=PRESENCE_RECEIVER
        )
    assert send(ws, alices, {"handler": "unsubscribe", "channel": ROOM})[0] == 200
    assert [event["$ws"] for event in events(ws_outbox, bobs)] == ["member_removed"]
