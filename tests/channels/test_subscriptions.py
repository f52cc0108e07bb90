"""Several channels per connection: $connect, subscribe, unsubscribe, change_channel, closing."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.contrib.auth.models import AbstractUser
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from django_aws_api_gateway_websockets.cleanup import clear_sessions
from django_aws_api_gateway_websockets.messaging import close_connections
from django_aws_api_gateway_websockets.models import (
    ApiGateway,
    ChannelMembership,
    WebSocketSession,
)
from django_aws_api_gateway_websockets.testing import WebSocketTestClient
from django_aws_api_gateway_websockets.testing.capture import Outbox
from tests.conftest import API_ID

from .conftest import send

Tab = Callable[..., str]
VIEWS_LOGGER = "django_aws_api_gateway_websockets.views"


def channels_of(connection_id: str) -> set[str]:
    return set(
        ChannelMembership.objects.filter(session__connection_id=connection_id).values_list(
            "channel_name", flat=True
        )
    )


def in_channel(name: str) -> set[str]:
    return set(
        WebSocketSession.objects.in_channel(name)
        .filter(connected=True)
        .values_list("connection_id", flat=True)
    )


def refusals(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == VIEWS_LOGGER]


# $connect


def test_connect_joins_every_channel_the_first_is_channel_name(tab: Tab) -> None:
    connection_id = tab(channel=["a", "b", "a"])

    session = WebSocketSession.objects.get(connection_id=connection_id)
    assert session.channel_name == "a"
    assert channels_of(connection_id) == {"a", "b"}
    assert in_channel("a") == in_channel("b") == {connection_id}


def test_a_repeated_name_counts_once_against_the_limit(tab: Tab, settings: Any) -> None:
    settings.WEBSOCKETS = {"max_channels_per_connection": 2}
    assert channels_of(tab(channel=["a", "b", "a", "b"])) == {"a", "b"}


def test_connect_without_channel_joins_the_gateway_default(tab: Tab, gateway: ApiGateway) -> None:
    gateway.default_channel_name = "lobby"
    gateway.save()
    connection_id = tab()
    assert channels_of(connection_id) == {"lobby"}
    assert WebSocketSession.objects.get(connection_id=connection_id).channel_name == "lobby"


@pytest.mark.parametrize(
    ("channels", "status", "reason"),
    [
        (["a", "vip"], 403, "can_join_channel refused 'vip'"),
        (["a", "b c"], 400, "has other characters"),
        (["a", "b", "c"], 400, "3 channels at $connect"),
    ],
)
def test_connect_refuses_the_whole_connection_for_one_bad_channel(
    gateway: ApiGateway,
    settings: Any,
    caplog: pytest.LogCaptureFixture,
    channels: list[str],
    status: int,
    reason: str,
) -> None:
    settings.WEBSOCKETS = {"max_channels_per_connection": 2}
    connection_id, response = WebSocketTestClient("/ws/", api_id=API_ID).connect(channel=channels)
    assert response.status_code == status
    assert "error" in response.json()
    assert any(reason in line for line in refusals(caplog))
    assert not WebSocketSession.objects.filter(connection_id=connection_id).exists()
    assert not ChannelMembership.objects.exists()


# subscribe / unsubscribe


def test_subscribe_answers_and_joins(tab: Tab, ws: WebSocketTestClient) -> None:
    connection_id = tab(channel="a")

    assert send(ws, connection_id, {"handler": "subscribe", "channel": "b"}) == (
        200,
        {"$ws": "subscribed", "channel": "b"},
    )
    # Subscribing again is answered the same and changes nothing.
    assert send(ws, connection_id, {"handler": "subscribe", "channel": "b"})[0] == 200
    assert channels_of(connection_id) == {"a", "b"}
    assert in_channel("b") == {connection_id}
    assert WebSocketSession.objects.get(connection_id=connection_id).channel_name == "a"


def test_the_answer_carries_the_message_id_ack(tab: Tab, ws: WebSocketTestClient) -> None:
    connection_id = tab()
    status, answer = send(
        ws, connection_id, {"handler": "subscribe", "channel": "b", "client_message_id": "m1"}
    )
    assert status == 200
    assert answer["$ws"] == "subscribed"
    assert answer["ack"] == "m1"


@pytest.mark.parametrize(
    ("body", "status", "reason"),
    [
        ({"handler": "subscribe", "channel": "vip"}, 403, "can_join_channel refused 'vip'"),
        ({"handler": "subscribe", "channel": "no spaces"}, 400, "has other characters"),
        ({"handler": "subscribe", "channel": 7}, 400, "channel not a string"),
        ({"handler": "subscribe"}, 400, "channel not a string"),
        ({"handler": "subscribe", "channel": "x" * 101}, 400, "channel name of 101"),
        ({"handler": "unsubscribe", "channel": ""}, 400, "channel not a string"),
    ],
)
def test_bad_subscriptions_are_4xx_with_a_log_line(
    tab: Tab,
    ws: WebSocketTestClient,
    caplog: pytest.LogCaptureFixture,
    body: dict[str, Any],
    status: int,
    reason: str,
) -> None:
    connection_id = tab(channel="a")
    code, answer = send(ws, connection_id, body)
    assert code == status
    assert "error" in answer
    assert any(reason in line for line in refusals(caplog))
    assert channels_of(connection_id) == {"a"}


def test_the_channel_limit_counts_connect_channels_and_subscriptions(
    tab: Tab, ws: WebSocketTestClient, settings: Any, caplog: pytest.LogCaptureFixture
) -> None:
    settings.WEBSOCKETS = {"max_channels_per_connection": 3}
    connection_id = tab(channel=["a", "b"])
    assert send(ws, connection_id, {"handler": "subscribe", "channel": "c"})[0] == 200

    code, answer = send(ws, connection_id, {"handler": "subscribe", "channel": "d"})

    assert code == 400
    assert answer["error"] == "A connection may be in at most 3 channels."
    assert any("max_channels_per_connection=3" in line for line in refusals(caplog))
    assert channels_of(connection_id) == {"a", "b", "c"}
    # A channel it is already in is not one more.
    assert send(ws, connection_id, {"handler": "subscribe", "channel": "c"})[0] == 200
    # Leaving one makes room.
    assert send(ws, connection_id, {"handler": "unsubscribe", "channel": "b"})[0] == 200
    assert send(ws, connection_id, {"handler": "subscribe", "channel": "d"})[0] == 200


def test_unsubscribe_leaves_and_is_answered_when_not_subscribed(
    tab: Tab, ws: WebSocketTestClient
) -> None:
    connection_id = tab(channel=["a", "b"])
    for _ in range(2):
        assert send(ws, connection_id, {"handler": "unsubscribe", "channel": "b"}) == (
            200,
            {"$ws": "unsubscribed", "channel": "b"},
        )
    assert channels_of(connection_id) == {"a"}
    assert in_channel("b") == set()


def test_unsubscribing_from_channel_name_blanks_it(tab: Tab, ws: WebSocketTestClient) -> None:
    connection_id = tab(channel=["a", "b"])
    assert send(ws, connection_id, {"handler": "unsubscribe", "channel": "a"})[0] == 200

    assert WebSocketSession.objects.get(connection_id=connection_id).channel_name == ""
    # 4.x-style code and in_channel() agree: nobody is in "a" any more.
    assert not WebSocketSession.objects.filter(channel_name="a").exists()
    assert in_channel("a") == set()
    assert in_channel("b") == {connection_id}


def test_a_view_with_allowed_handlers_reaches_subscribe_only_if_listed(
    gateway: ApiGateway, ws_outbox: Outbox
) -> None:
    listed = WebSocketTestClient("/listed-ws/", api_id=API_ID)
    connection_id, _ = listed.connect(channel="a")
    response = listed.send(connection_id, {"handler": "subscribe", "channel": "b"})
    # ListedView does not list it: the message goes to default, which echoes.
    assert response.status_code == 200
    assert "echo" in response.json()
    assert channels_of(connection_id) == {"a"}


# change_channel


def test_change_channel_moves_the_primary_membership(tab: Tab, ws: WebSocketTestClient) -> None:
    connection_id = tab(channel=["a", "b"])
    assert send(ws, connection_id, {"handler": "change_channel", "channel": "c"}) == (
        200,
        {"$ws": "channel_changed", "channel": "c", "previous_channel": "a"},
    )
    assert channels_of(connection_id) == {"b", "c"}
    assert WebSocketSession.objects.get(connection_id=connection_id).channel_name == "c"
    assert in_channel("a") == set()


def test_change_channel_to_a_subscribed_channel_keeps_one_membership(
    tab: Tab, ws: WebSocketTestClient
) -> None:
    connection_id = tab(channel=["a", "b"])
    assert send(ws, connection_id, {"handler": "change_channel", "channel": "b"})[0] == 200
    assert channels_of(connection_id) == {"b"}


# in_channel


def test_in_channel_reaches_bulk_created_rows_and_members_in_one_query(
    tab: Tab, gateway: ApiGateway
) -> None:
    # Made without the view, as fixtures, benchmarks and 4.x-era code do: no memberships.
    WebSocketSession.objects.bulk_create(
        [
            WebSocketSession(connection_id="bulk-1", channel_name="room", api_gateway=gateway),
            WebSocketSession(connection_id="bulk-2", channel_name="other", api_gateway=gateway),
        ]
    )
    subscribed = tab(channel=["other", "room"])
    primary = tab(channel="room")

    with CaptureQueriesContext(connection) as queries:
        found = in_channel("room")

    assert found == {"bulk-1", subscribed, primary}
    assert len(queries) == 1
    # 4.x's spelling reaches the rows whose channel_name it is, as before.
    assert set(
        WebSocketSession.objects.filter(channel_name="room").values_list("connection_id", flat=True)
    ) == {"bulk-1", primary}


def test_a_multicast_reaches_every_subscriber_once(tab: Tab, ws_outbox: Outbox) -> None:
    first = tab(channel=["room", "news"])
    second = tab(channel=["news"])
    tab(channel=["elsewhere"])

    result = WebSocketSession.objects.in_channel("news").send_message({"n": 1})

    assert sorted(result.sent_ids) == sorted([first, second])
    assert ws_outbox.data_for(first) == ws_outbox.data_for(second) == [{"n": 1}]


# Closing leaves every channel


def test_disconnect_leaves_every_channel(tab: Tab, ws: WebSocketTestClient) -> None:
    connection_id = tab(channel=["a", "b"])
    assert ws.disconnect(connection_id).status_code == 200
    assert channels_of(connection_id) == set()
    assert in_channel("a") == in_channel("b") == set()


def test_a_send_that_finds_a_connection_gone_removes_its_memberships(
    tab: Tab, ws_outbox: Outbox
) -> None:
    gone = tab(channel=["a", "b"])
    kept = tab(channel=["b"])
    ws_outbox.mark_gone(gone)

    result = WebSocketSession.objects.in_channel("b").send_message({"x": 1})

    assert result.gone_ids == (gone,)
    assert channels_of(gone) == set()
    assert channels_of(kept) == {"b"}


def test_reconcile_and_close_connections_remove_memberships(tab: Tab, ws_outbox: Outbox) -> None:
    gone, closed, kept = tab(channel="a"), tab(channel="a"), tab(channel="a")
    ws_outbox.mark_gone(gone)

    assert WebSocketSession.objects.all().reconcile().gone_ids == (gone,)
    close_connections(WebSocketSession.objects.filter(connection_id=closed))

    assert channels_of(gone) == channels_of(closed) == set()
    assert in_channel("a") == {kept}


def test_logout_closes_and_removes_memberships(
    gateway: ApiGateway, user: AbstractUser, ws_outbox: Outbox
) -> None:
    from .conftest import logged_in

    browser = logged_in(user)
    connection_id, _ = WebSocketTestClient("/ws/", api_id=API_ID, client=browser).connect(
        channel=["a", "b"]
    )
    browser.logout()
    assert channels_of(connection_id) == set()
    assert not WebSocketSession.objects.get(connection_id=connection_id).connected


def test_expired_sessions_leave_their_channels(tab: Tab) -> None:
    connection_id = tab(channel=["a", "b"])
    WebSocketSession.objects.filter(connection_id=connection_id).update(
        created_on=timezone.now() - timedelta(hours=3)
    )
    assert clear_sessions(older_than=timedelta(hours=1)).expired == 1
    assert channels_of(connection_id) == set()


def test_closing_no_rows_runs_no_query(db: None) -> None:
    from django_aws_api_gateway_websockets.subscriptions import close_sessions

    with CaptureQueriesContext(connection) as queries:
        assert close_sessions(WebSocketSession.objects.none()) == 0
    assert len(queries) == 0


def test_joining_no_channel_writes_nothing(tab: Tab) -> None:
    from django_aws_api_gateway_websockets.subscriptions import join

    session = WebSocketSession.objects.get(connection_id=tab(channel="a"))
    with CaptureQueriesContext(connection) as queries:
        assert join(session, {"": None}) == []
    assert len(queries) == 0


def test_the_test_client_still_takes_the_channel_in_query(
    gateway: ApiGateway, ws_outbox: Outbox
) -> None:
    ws = WebSocketTestClient("/ws/", api_id=API_ID)
    connection_id, response = ws.connect(query={"channel": "from-query", "other": "1"})
    assert response.status_code == 200
    assert channels_of(connection_id) == {"from-query"}
