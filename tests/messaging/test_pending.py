"""A send that overlaps a $connect must not close the new connection's session.

The view commits the session row while API Gateway is still waiting for the
$connect answer; until the handshake completes, the Management API answers 410
for that connection (docs/aws-behaviour.md). Such a 410 is "not open yet", not
"gone".
"""

from __future__ import annotations

import logging
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from django_aws_api_gateway_websockets import messaging
from django_aws_api_gateway_websockets.models import WebSocketSession
from tests.conftest import OPEN_FOR_A_WHILE, MakeSession

from .conftest import MakeGateway, connected_ids
from .management_api import ManagementApiStandIn


def test_a_410_for_a_session_still_connecting_leaves_it_open_and_counts_it_pending(
    management_api: ManagementApiStandIn, make_gateway: MakeGateway, make_session: MakeSession
) -> None:
    gateway = make_gateway()
    make_session("live", gateway, opened_seconds_ago=OPEN_FOR_A_WHILE)
    make_session("closed", gateway, opened_seconds_ago=OPEN_FOR_A_WHILE)
    make_session("connecting", gateway)  # its $connect has not returned yet
    management_api.gone.update({"closed", "connecting"})

    with CaptureQueriesContext(connection) as queries:
        during_connect = messaging.send_to_channel("chat", {"n": 1})
    management_api.gone.discard("connecting")  # the handshake completes
    after_connect = messaging.send_to_channel("chat", {"n": 2})

    assert during_connect.sent_ids == ("live",)
    assert during_connect.gone_ids == ("closed",)
    assert during_connect.pending_ids == ("connecting",)
    assert (during_connect.pending, during_connect.failed, during_connect.total) == (1, 0, 3)
    assert during_connect.errors == {}
    assert [q["sql"].split()[0].upper() for q in queries] == ["SELECT", "DELETE", "UPDATE"]
    assert connected_ids() == {"live", "connecting"}
    assert sorted(after_connect.sent_ids) == ["connecting", "live"]


def test_a_session_that_has_carried_a_message_is_past_its_connect(
    management_api: ManagementApiStandIn, make_gateway: MakeGateway, make_session: MakeSession
) -> None:
    # A message reaches Django only over an open connection: a 410 now means gone.
    make_session("talked", make_gateway(), request_count=1)
    management_api.gone.add("talked")

    result = messaging.send_to_channel("chat", {"n": 1})

    assert (result.gone_ids, result.pending_ids) == (("talked",), ())
    assert connected_ids() == set()


@pytest.mark.parametrize(
    ("opened_seconds_ago", "pending", "still_connected"),
    [(4.0, 1, True), (6.0, 0, False)],
)
def test_the_grace_lasts_connect_grace_seconds(
    settings: Any,
    management_api: ManagementApiStandIn,
    make_gateway: MakeGateway,
    make_session: MakeSession,
    opened_seconds_ago: float,
    pending: int,
    still_connected: bool,
) -> None:
    settings.WEBSOCKETS = {**settings.WEBSOCKETS, "connect_grace_seconds": 5}
    make_session("c", make_gateway(), opened_seconds_ago=opened_seconds_ago)
    management_api.gone.add("c")

    result = messaging.send_to_channel("chat", {"n": 1})

    assert (result.pending, result.gone) == (pending, 1 - pending)
    assert WebSocketSession.objects.get().connected is still_connected


def test_the_default_grace_outlasts_the_29_second_integration_timeout(
    management_api: ManagementApiStandIn, make_gateway: MakeGateway, make_session: MakeSession
) -> None:
    make_session("slow-connect", make_gateway(), opened_seconds_ago=29.0)
    management_api.gone.add("slow-connect")

    assert messaging.send_to_channel("chat", {"n": 1}).pending_ids == ("slow-connect",)


def test_session_instances_still_connecting_stay_connected_in_memory(
    management_api: ManagementApiStandIn, make_gateway: MakeGateway, make_session: MakeSession
) -> None:
    gateway = make_gateway()
    connecting = make_session("connecting", gateway)
    closed = make_session("closed", gateway, opened_seconds_ago=OPEN_FOR_A_WHILE)
    management_api.gone.update({"connecting", "closed"})

    result = messaging.send_to_sessions([connecting, closed], {"n": 1})

    assert (result.pending_ids, result.gone_ids) == (("connecting",), ("closed",))
    assert (connecting.connected, closed.connected) == (True, False)
    assert connected_ids() == {"connecting"}


def test_pending_connections_are_logged_apart_from_gone_ones(
    management_api: ManagementApiStandIn,
    make_gateway: MakeGateway,
    make_session: MakeSession,
    caplog: pytest.LogCaptureFixture,
) -> None:
    make_session("connecting", make_gateway())
    management_api.gone.add("connecting")

    with caplog.at_level(logging.INFO, logger="django_aws_api_gateway_websockets.messaging"):
        messaging.send_to_channel("chat", {"n": 1})

    assert "send: 1 connection(s) not open yet (410 within 30s of $connect)" in caplog.text
    assert "were gone" not in caplog.text
    assert "failed" not in caplog.text


def test_an_unsaved_session_instance_has_no_connect_to_wait_for(
    management_api: ManagementApiStandIn, make_gateway: MakeGateway
) -> None:
    unsaved = WebSocketSession(connection_id="x", channel_name="chat", api_gateway=make_gateway())
    management_api.gone.add("x")

    result = messaging.send_to_sessions([unsaved], {"n": 1})

    assert (result.gone_ids, result.pending_ids) == (("x",), ())
    assert unsaved.connected is False
