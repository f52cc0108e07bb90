"""reconcile() over real HTTP repairs presence: dropped $disconnects end in one member_removed."""

from __future__ import annotations

import json

import pytest
from django.contrib.auth import get_user_model

from django_aws_api_gateway_websockets import protocol, subscriptions
from django_aws_api_gateway_websockets.models import WebSocketSession
from django_aws_api_gateway_websockets.presence import presence_members
from tests.conftest import OPEN_FOR_A_WHILE, MakeSession

from .conftest import MakeGateway
from .management_api import ManagementApiStandIn

# member_removed is sent after the reconcile's transaction commits.
pytestmark = pytest.mark.django_db(transaction=True)

ROOM = "presence-room"


def test_reconcile_removes_a_member_whose_every_tab_is_gone(
    management_api: ManagementApiStandIn, make_gateway: MakeGateway, make_session: MakeSession
) -> None:
    users = get_user_model().objects
    alice, bob = users.create_user("alice"), users.create_user("bob")
    gateway = make_gateway()
    tabs = {
        name: make_session(name, gateway, user=user, opened_seconds_ago=OPEN_FOR_A_WHILE)
        for name, user in [("bob-1", bob), ("alice-1", alice), ("alice-2", alice)]
    }
    for name, session in tabs.items():
        subscriptions.join(session, {ROOM: {"username": name.split("-")[0]}})
    management_api.reset_counters()
    # Both of Alice's tabs closed; neither $disconnect reached Django.
    management_api.gone.update({"alice-1", "alice-2"})

    result = WebSocketSession.objects.all().reconcile()

    assert sorted(result.gone_ids) == ["alice-1", "alice-2"]
    to_bob = [json.loads(r.body) for r in management_api.posted() if r.connection_id == "bob-1"]
    assert to_bob == [protocol.member_removed(ROOM, alice.pk)]
    assert presence_members(ROOM) == [{"user_id": bob.pk, "info": {"username": "bob"}}]
