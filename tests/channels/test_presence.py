"""Presence channels: member lists, member_added once per user, member_removed at the last tab."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.auth.models import AbstractUser
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from django_aws_api_gateway_websockets import presence
from django_aws_api_gateway_websockets.models import ApiGateway, WebSocketSession
from django_aws_api_gateway_websockets.presence import presence_members
from django_aws_api_gateway_websockets.testing import WebSocketTestClient
from django_aws_api_gateway_websockets.testing.capture import Outbox
from tests.conftest import API_ID

from .conftest import events, send

# Presence events are sent after commit: the tests commit, as requests do.
pytestmark = pytest.mark.django_db(transaction=True)

Tab = Callable[..., str]
ROOM = "presence-room"
VIEWS_LOGGER = "django_aws_api_gateway_websockets.views"


def alice_member(alice: AbstractUser) -> dict[str, Any]:
    return {"user_id": alice.pk, "info": {"username": "alice"}}


def added(user: AbstractUser, name: str, channel: str = ROOM) -> dict[str, Any]:
    return {
        "$ws": "member_added",
        "channel": channel,
        "member": {"user_id": user.pk, "info": {"username": name}},
    }


def removed(user: AbstractUser, channel: str = ROOM) -> dict[str, Any]:
    return {"$ws": "member_removed", "channel": channel, "member": {"user_id": user.pk}}


def subscribe(ws: WebSocketTestClient, connection_id: str, channel: str = ROOM) -> Any:
    return send(ws, connection_id, {"handler": "subscribe", "channel": channel})


def test_the_joining_tab_gets_the_member_list_and_the_others_member_added(
    tab: Tab, ws: WebSocketTestClient, ws_outbox: Outbox, user: AbstractUser, bob: AbstractUser
) -> None:
    bobs = tab(bob, channel=ROOM)
    alices = tab(user)

    status, answer = subscribe(ws, alices)

    assert status == 200
    assert answer == {
        "$ws": "subscribed",
        "channel": ROOM,
        "members": [
            {"user_id": bob.pk, "info": {"username": "bob"}},
            {"user_id": user.pk, "info": {"username": "alice"}},
        ],
    }
    assert events(ws_outbox, bobs) == [added(user, "alice")]
    assert events(ws_outbox, alices) == []  # it has the list instead


def test_several_tabs_count_once_and_only_the_last_leaving_removes(
    tab: Tab, ws: WebSocketTestClient, ws_outbox: Outbox, user: AbstractUser, bob: AbstractUser
) -> None:
    bobs = tab(bob, channel=ROOM)
    first, second, third = tab(user), tab(user), tab(user, channel=ROOM)

    assert subscribe(ws, first)[0] == 200
    _, answer = subscribe(ws, second)
    assert answer["members"] == [
        {"user_id": bob.pk, "info": {"username": "bob"}},
        alice_member(user),
    ]
    # The third tab joined at $connect, after the first: still one member_added.
    assert events(ws_outbox, bobs) == [added(user, "alice")]

    assert send(ws, first, {"handler": "unsubscribe", "channel": ROOM})[0] == 200
    assert ws.disconnect(second).status_code == 200
    assert events(ws_outbox, bobs) == [added(user, "alice")]
    assert [m["user_id"] for m in presence_members(ROOM)] == [bob.pk, user.pk]

    assert ws.disconnect(third).status_code == 200
    assert events(ws_outbox, bobs) == [added(user, "alice"), removed(user)]
    assert presence_members(ROOM) == [{"user_id": bob.pk, "info": {"username": "bob"}}]


def test_joining_at_connect_tells_the_others(
    tab: Tab, ws_outbox: Outbox, user: AbstractUser, bob: AbstractUser
) -> None:
    bobs = tab(bob, channel=["lobby", ROOM])
    tab(user, channel=["lobby", ROOM])
    assert events(ws_outbox, bobs) == [added(user, "alice")]


def test_a_user_subscribing_twice_from_one_tab_is_told_nothing_new(
    tab: Tab, ws: WebSocketTestClient, ws_outbox: Outbox, user: AbstractUser, bob: AbstractUser
) -> None:
    bobs = tab(bob, channel=ROOM)
    alices = tab(user, channel=ROOM)
    # What a page does after it opened: subscribe again, to get the list.
    _, answer = subscribe(ws, alices)
    assert [m["user_id"] for m in answer["members"]] == [bob.pk, user.pk]
    assert events(ws_outbox, bobs) == [added(user, "alice")]


def test_anonymous_connections_are_refused_from_presence_channels(
    tab: Tab, ws: WebSocketTestClient, gateway: ApiGateway, caplog: pytest.LogCaptureFixture
) -> None:
    anonymous = tab(channel="lobby")
    status, answer = subscribe(ws, anonymous)
    assert (status, answer) == (
        403,
        {"$ws": "error", "error": "Log in to join a presence channel."},
    )

    _, response = WebSocketTestClient("/ws/", api_id=API_ID).connect(channel=["lobby", ROOM])
    assert response.status_code == 403
    lines = [r.getMessage() for r in caplog.records if r.name == VIEWS_LOGGER]
    assert sum("anonymous connection refused from presence channel" in line for line in lines) == 2
    assert presence_members(ROOM) == []


def test_a_send_that_finds_the_last_tab_gone_removes_the_member(
    tab: Tab, ws_outbox: Outbox, user: AbstractUser, bob: AbstractUser
) -> None:
    bobs = tab(bob, channel=ROOM)
    alices = tab(user, channel=ROOM)
    ws_outbox.mark_gone(alices)

    result = WebSocketSession.objects.in_channel(ROOM).send_message({"text": "hi"})

    assert result.gone_ids == (alices,)
    assert events(ws_outbox, bobs) == [added(user, "alice"), removed(user)]
    assert [m["user_id"] for m in presence_members(ROOM)] == [bob.pk]


def test_reconcile_repairs_dropped_disconnects_of_every_tab(
    tab: Tab, ws_outbox: Outbox, user: AbstractUser, bob: AbstractUser
) -> None:
    bobs = tab(bob, channel=ROOM)
    tabs = [tab(user, channel=ROOM) for _ in range(3)]
    # Two tabs closed and their $disconnect never reached Django.
    ws_outbox.mark_gone(tabs[0], tabs[1])

    first = WebSocketSession.objects.all().reconcile()
    assert sorted(first.gone_ids) == sorted(tabs[:2])
    assert events(ws_outbox, bobs) == [added(user, "alice")]  # one tab is still open
    assert [m["user_id"] for m in presence_members(ROOM)] == [bob.pk, user.pk]

    ws_outbox.mark_gone(tabs[2])
    WebSocketSession.objects.all().reconcile()
    assert events(ws_outbox, bobs) == [added(user, "alice"), removed(user)]
    assert [m["user_id"] for m in presence_members(ROOM)] == [bob.pk]


def test_change_channel_into_and_out_of_a_presence_channel(
    tab: Tab, ws: WebSocketTestClient, ws_outbox: Outbox, user: AbstractUser, bob: AbstractUser
) -> None:
    bobs = tab(bob, channel=ROOM)
    alices = tab(user, channel="lobby")

    assert send(ws, alices, {"handler": "change_channel", "channel": ROOM})[0] == 200
    assert send(ws, alices, {"handler": "change_channel", "channel": "lobby"})[0] == 200

    assert events(ws_outbox, bobs) == [added(user, "alice"), removed(user)]


def test_presence_members_is_one_query(tab: Tab, user: AbstractUser, bob: AbstractUser) -> None:
    for member in (user, user, bob):
        tab(member, channel=ROOM)
    tab(channel="lobby")
    with CaptureQueriesContext(connection) as queries:
        members = presence_members(ROOM)
    assert [m["user_id"] for m in members] == [user.pk, bob.pk]
    assert len(queries) == 1


def test_view_hooks_choose_presence_channels_and_member_info(
    gateway: ApiGateway, ws_outbox: Outbox, user: AbstractUser, bob: AbstractUser
) -> None:
    from .conftest import logged_in

    def rooms(member: AbstractUser, channel: str) -> tuple[WebSocketTestClient, str]:
        ws = WebSocketTestClient("/rooms-ws/", api_id=API_ID, client=logged_in(member))
        connection_id, response = ws.connect(channel=channel)
        assert response.status_code == 200
        return ws, connection_id

    _, bobs = rooms(bob, "room-1")
    ws, alices = rooms(user, "lobby")

    _, answer = send(ws, alices, {"handler": "subscribe", "channel": "room-1"})
    assert answer["members"] == [
        {"user_id": bob.pk, "info": {"name": "Bob"}},
        {"user_id": user.pk, "info": {"name": "Alice"}},
    ]
    # "presence-" is not a presence prefix on this view.
    _, plain = send(ws, alices, {"handler": "subscribe", "channel": "presence-x"})
    assert plain == {"$ws": "subscribed", "channel": "presence-x"}
    assert events(ws_outbox, bobs) == [
        {"$ws": "member_added", "channel": "room-1", "member": answer["members"][1]}
    ]


def test_events_are_sent_after_the_transaction_commits(
    tab: Tab, ws_outbox: Outbox, user: AbstractUser, bob: AbstractUser
) -> None:
    bobs = tab(bob, channel=ROOM)
    alices = tab(user, channel=ROOM)
    ws_outbox.clear()
    with transaction.atomic():
        ws_outbox.mark_gone(alices)
        WebSocketSession.objects.filter(connection_id=alices).reconcile()
        assert events(ws_outbox, bobs) == []
    assert events(ws_outbox, bobs) == [removed(user)]


def test_large_channels_get_events_from_background_tasks(
    tab: Tab,
    ws_outbox: Outbox,
    user: AbstractUser,
    bob: AbstractUser,
    settings: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    settings.WEBSOCKETS = {"publish_background_threshold": 1}
    enqueued: list[Any] = []
    enqueue = presence.tasks.enqueue_payload

    def recording(payload: str, pks: Any, db: str, **options: Any) -> Any:
        enqueued.append(json.loads(payload))
        return enqueue(payload, pks, db, **options)

    monkeypatch.setattr(presence.tasks, "enqueue_payload", recording)
    bobs = tab(bob, channel=ROOM)
    tab(user, channel=ROOM)

    # Django's immediate Tasks backend (the test settings') runs the task at once.
    assert enqueued == [added(user, "alice")]
    assert events(ws_outbox, bobs) == [added(user, "alice")]


def test_plain_channels_of_logged_in_users_announce_nothing(
    tab: Tab, ws: WebSocketTestClient, ws_outbox: Outbox, user: AbstractUser, bob: AbstractUser
) -> None:
    bobs = tab(bob, channel=["lobby", "news"])
    alices = tab(user, channel="lobby")
    assert subscribe(ws, alices, "news") == (200, {"$ws": "subscribed", "channel": "news"})
    assert send(ws, alices, {"handler": "unsubscribe", "channel": "news"})[0] == 200
    assert ws.disconnect(alices).status_code == 200

    assert events(ws_outbox, bobs) == []
    assert presence_members("news") == presence_members("lobby") == []


def test_a_presence_info_hook_that_returns_no_dict_is_a_bug_in_the_view(
    gateway: ApiGateway,
    ws_outbox: Outbox,
    user: AbstractUser,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    from tests.testapp.views import RoomsView

    from .conftest import logged_in

    monkeypatch.setattr(RoomsView, "presence_info", lambda self, user: ["not", "a", "dict"])
    ws = WebSocketTestClient("/rooms-ws/", api_id=API_ID, client=logged_in(user))
    connection_id, _ = ws.connect(channel="lobby")
    response = ws.send(connection_id, {"handler": "subscribe", "channel": "room-1"})
    assert response.status_code == 500
    assert any(
        "presence_info() must return a dict" in r.exc_text for r in caplog.records if r.exc_text
    )
    assert presence_members("room-1") == []
