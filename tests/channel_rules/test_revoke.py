"""``subscriptions.revoke``: taking access back from connections already in a channel."""

from __future__ import annotations

from importlib.util import find_spec
from typing import Any

import pytest
from django.contrib.auth.models import AbstractUser
from django.db import transaction

from django_aws_api_gateway_websockets import tasks
from django_aws_api_gateway_websockets.models import ChannelMembership, WebSocketSession
from django_aws_api_gateway_websockets.publishing import publish
from django_aws_api_gateway_websockets.subscriptions import revoke
from django_aws_api_gateway_websockets.testing import Connection
from django_aws_api_gateway_websockets.testing.capture import Outbox

from .conftest import Open, answer, connected, make_user

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.urls("tests.channel_rules.views"),
]


# Django 6.0 ships the framework; Django 5.2 runs the django-tasks backport.
FRAMEWORK = "django.tasks" if find_spec("django.tasks") else "django_tasks"


def revoked(channel: str) -> dict[str, Any]:
    return {"$ws": "revoked", "channel": channel}


def session(connection: Connection) -> WebSocketSession:
    return WebSocketSession.objects.get(connection_id=connection.connection_id)


def in_channel(channel: str) -> set[str]:
    return set(WebSocketSession.objects.in_channel(channel).values_list("connection_id", flat=True))


def test_a_revoked_user_receives_nothing_more_from_the_channel(
    open_connection: Open, member: AbstractUser, ws_outbox: Outbox
) -> None:
    primary = connected(open_connection, member, "secret-a")  # the $connect channel
    subscribed = connected(open_connection, member, "lobby")
    answer(subscribed, {"handler": "subscribe", "channel": "secret-a"})
    colleague = connected(open_connection, make_user("cat", "a"), "secret-a")

    assert revoke("secret-a", user=member) == 2

    assert primary.received == [revoked("secret-a")]
    assert subscribed.received == [revoked("secret-a")]
    assert colleague.received == []
    assert in_channel("secret-a") == {colleague.connection_id}
    assert session(primary).channel_name == ""  # the primary channel is gone too
    assert session(subscribed).channel_name == "lobby"
    ws_outbox.clear()
    publish("secret-a", {"text": "after"})
    WebSocketSession.objects.in_channel("secret-a").send_message({"text": "multicast"})
    assert primary.received == subscribed.received == []
    assert len(colleague.received) == 2
    # History is for current members.
    for page in (primary, subscribed):
        status, body = answer(page, {"handler": "resume", "channel": "secret-a", "after": 0})
        assert status == 403
        assert "messages" not in body
    # Their other channels stay.
    assert set(
        ChannelMembership.objects.filter(session__user=member).values_list(
            "channel_name", flat=True
        )
    ) == {"lobby"}


def test_the_other_members_hear_member_removed_when_the_last_tab_goes(
    open_connection: Open, member: AbstractUser, ws_outbox: Outbox
) -> None:
    colleague = connected(open_connection, make_user("cat", "a"), "presence-secret-a")
    first = connected(open_connection, member, "presence-secret-a")
    second = connected(open_connection, member, "presence-secret-a")
    ws_outbox.clear()
    removed = {
        "$ws": "member_removed",
        "channel": "presence-secret-a",
        "member": {"user_id": member.pk},
    }

    assert (
        revoke("presence-secret-a", sessions=WebSocketSession.objects.filter(pk=session(first).pk))
        == 1
    )
    assert colleague.received == []  # the user still has a tab in the channel
    assert first.received == [revoked("presence-secret-a")]

    assert (
        revoke("presence-secret-a", sessions=WebSocketSession.objects.filter(pk=session(second).pk))
        == 1
    )
    assert colleague.received == [removed]
    assert second.received == [revoked("presence-secret-a")]
    assert first.received == [revoked("presence-secret-a")]  # told once


def test_user_and_sessions_together_revoke_the_users_among_the_sessions(
    open_connection: Open, member: AbstractUser, ws_outbox: Outbox
) -> None:
    mine = connected(open_connection, member, "secret-a")
    theirs = connected(open_connection, make_user("cat", "a"), "secret-a")

    count = revoke("secret-a", user=member, sessions=WebSocketSession.objects.all())

    assert count == 1
    assert in_channel("secret-a") == {theirs.connection_id}
    assert mine.received == [revoked("secret-a")]


def test_revoking_where_nobody_is_in_the_channel_changes_nothing(
    open_connection: Open, member: AbstractUser, ws_outbox: Outbox
) -> None:
    page = connected(open_connection, member, "lobby")
    assert revoke("secret-a", user=member) == 0
    assert revoke("secret-a", sessions=WebSocketSession.objects.none()) == 0
    assert page.received == []
    assert in_channel("lobby") == {page.connection_id}


def test_a_rolled_back_revoke_sends_nothing_and_keeps_the_membership(
    open_connection: Open, member: AbstractUser, ws_outbox: Outbox
) -> None:
    page = connected(open_connection, member, "secret-a")

    with transaction.atomic():
        assert revoke("secret-a", user=member) == 1
        assert page.received == []  # not before the commit
        transaction.set_rollback(True)

    assert page.received == []
    assert in_channel("secret-a") == {page.connection_id}


def test_revoke_refuses_to_guess_who(member: AbstractUser) -> None:
    with pytest.raises(TypeError, match="needs user= or sessions="):
        revoke("secret-a")
    with pytest.raises(ValueError, match="needs a channel name"):
        revoke("", user=member)
    with pytest.raises(ValueError, match="needs a saved user"):
        revoke("secret-a", user=make_unsaved())
    with pytest.raises(TypeError, match="needs a queryset, not list"):
        revoke("secret-a", sessions=[])  # type: ignore[arg-type]


def make_unsaved() -> Any:
    from django.contrib.auth import get_user_model

    return get_user_model()(username="ghost")


def test_everyone_is_revoked_only_when_asked_explicitly(
    open_connection: Open, member: AbstractUser, ws_outbox: Outbox
) -> None:
    pages = [connected(open_connection, member, "secret-a") for _ in range(2)]
    assert revoke("secret-a", sessions=WebSocketSession.objects.all()) == 2
    assert in_channel("secret-a") == set()
    assert all(page.received == [revoked("secret-a")] for page in pages)


# Deactivating a user


def test_deactivating_a_user_closes_their_connections(
    open_connection: Open, member: AbstractUser, ws_outbox: Outbox
) -> None:
    colleague = connected(open_connection, make_user("cat", "a"), "presence-secret-a")
    pages = [connected(open_connection, member, "presence-secret-a") for _ in range(2)]
    ws_outbox.clear()

    member.is_active = False
    member.save()

    assert sorted(ws_outbox.closed_ids) == sorted(page.connection_id for page in pages)
    assert not WebSocketSession.objects.filter(user=member, connected=True).exists()
    assert colleague.received == [
        {
            "$ws": "member_removed",
            "channel": "presence-secret-a",
            "member": {"user_id": member.pk},
        }
    ]


def test_a_deactivation_that_rolls_back_closes_nothing(
    open_connection: Open, member: AbstractUser, ws_outbox: Outbox
) -> None:
    page = connected(open_connection, member, "lobby")
    with transaction.atomic():
        member.is_active = False
        member.save()
        transaction.set_rollback(True)
    assert ws_outbox.closed_ids == []
    assert session(page).connected


def test_saving_an_active_user_closes_nothing(
    open_connection: Open, member: AbstractUser, ws_outbox: Outbox
) -> None:
    page = connected(open_connection, member, "lobby")
    member.first_name = "Mia"
    member.save()
    assert ws_outbox.closed_ids == []
    assert session(page).connected


def test_a_large_revocation_is_told_from_background_tasks(
    open_connection: Open, member: AbstractUser, settings: Any
) -> None:
    first = connected(open_connection, member, "secret-a")
    second = connected(open_connection, member, "secret-a")
    settings.WEBSOCKETS = {"publish_background_threshold": 2}
    # Stored, not run: what a worker will get.
    settings.TASKS = {"default": {"BACKEND": f"{FRAMEWORK}.backends.dummy.DummyBackend"}}

    assert revoke("secret-a", user=member) == 2

    (stored,) = tasks.send_chunk.get_backend().results
    assert first.received == second.received == []
    tasks.send_chunk.call(*stored.args, **stored.kwargs)
    assert first.received == second.received == [revoked("secret-a")]
