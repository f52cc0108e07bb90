"""Issue 15's finding: a channel refused through one view must be refused through every view.

View A narrows with ``can_join_channel``; view B keeps the default hook. The
project's channel rules (tests/testapp/websocket_channels.py) admit team "a"
only to "secret-a" and "presence-secret-a", so an outsider gets nothing of
either through B: no $connect, no subscribe, no change_channel, no published
message, no history, no member list, and nobody hears of them.
"""

from __future__ import annotations

import logging
from typing import Any

import pytest
from django.contrib.auth.models import AbstractUser, Group
from django.test import Client

from django_aws_api_gateway_websockets import protocol
from django_aws_api_gateway_websockets.models import (
    ApiGateway,
    ChannelMembership,
    WebSocketSession,
)
from django_aws_api_gateway_websockets.publishing import publish
from django_aws_api_gateway_websockets.testing import WebSocketTestClient
from django_aws_api_gateway_websockets.testing.capture import Outbox

from .conftest import Open, answer, connected

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.urls("tests.channel_rules.views"),
]

VIEWS_LOGGER = "django_aws_api_gateway_websockets.views"
REFUSED = protocol.error("Not allowed to join this channel.")


def channels_of(connection_id: str) -> set[str]:
    return set(
        ChannelMembership.objects.filter(session__connection_id=connection_id).values_list(
            "channel_name", flat=True
        )
    )


def presence_events(outbox: Outbox, connection_id: str) -> list[dict[str, Any]]:
    presence = {"member_added", "member_removed"}
    return [
        m
        for m in outbox.data_for(connection_id)
        if isinstance(m, dict) and m.get("$ws") in presence
    ]


@pytest.mark.parametrize("view", ["a", "b"])
@pytest.mark.parametrize("channels", [["secret-a"], ["lobby", "secret-a"], ["presence-secret-a"]])
def test_connect_with_a_refused_channel_is_refused_through_either_view(
    open_connection: Open, outsider: AbstractUser, view: str, channels: list[str]
) -> None:
    connection = open_connection(outsider, channels, view=view)

    assert connection.response.status_code == 403
    assert connection.response.json() == REFUSED
    assert not WebSocketSession.objects.filter(connection_id=connection.connection_id).exists()


def test_an_anonymous_connection_is_refused_too(open_connection: Open) -> None:
    assert open_connection(None, "secret-a").response.status_code == 403


def test_subscribe_and_change_channel_through_view_b_are_refused(
    open_connection: Open,
    outsider: AbstractUser,
    ws_outbox: Outbox,
    caplog: pytest.LogCaptureFixture,
) -> None:
    page = connected(open_connection, outsider, "lobby")

    with caplog.at_level(logging.WARNING, logger=VIEWS_LOGGER):
        assert answer(page, {"handler": "subscribe", "channel": "secret-a"}) == (403, REFUSED)
        assert answer(page, {"handler": "change_channel", "channel": "secret-a"}) == (
            403,
            REFUSED,
        )

    assert channels_of(page.connection_id) == {"lobby"}
    assert WebSocketSession.objects.get(connection_id=page.connection_id).channel_name == "lobby"
    logged = [r.getMessage() for r in caplog.records if r.name == VIEWS_LOGGER]
    assert len(logged) == 2
    assert all("secret_team ('secret-{team}') refused 'secret-a'" in line for line in logged)


def test_publish_and_resume_reach_members_only(
    open_connection: Open, member: AbstractUser, outsider: AbstractUser, ws_outbox: Outbox
) -> None:
    insider = connected(open_connection, member, "secret-a")
    page = connected(open_connection, outsider, "lobby")
    answer(page, {"handler": "subscribe", "channel": "secret-a"})

    result = publish("secret-a", {"text": "plans"})

    envelope = {
        "$ws": "publish",
        "channel": "secret-a",
        "seq": result.seq,
        "data": {"text": "plans"},
    }
    assert insider.received == [envelope]
    assert page.received == []
    status, body = answer(page, {"handler": "resume", "channel": "secret-a", "after": 0})
    assert status == 403
    assert "messages" not in body
    assert answer(insider, {"handler": "resume", "channel": "secret-a", "after": 0}) == (
        200,
        {
            "$ws": "resumed",
            "channel": "secret-a",
            "last_seq": 1,
            "more": False,
            "messages": [envelope],
        },
    )


def test_presence_shows_nothing_to_an_outsider_and_says_nothing_of_them(
    open_connection: Open, member: AbstractUser, outsider: AbstractUser, ws_outbox: Outbox
) -> None:
    staff = connected(open_connection, member, "lobby")
    status, joined = answer(staff, {"handler": "subscribe", "channel": "presence-secret-a"})
    assert status == 200
    # The rule's dict is the member's info; view B's presence_info is not asked.
    assert joined["members"] == [{"user_id": member.pk, "info": {"name": "MIA", "team": "a"}}]
    page = connected(open_connection, outsider, "lobby")

    status, body = answer(page, {"handler": "subscribe", "channel": "presence-secret-a"})

    assert (status, body) == (403, REFUSED)
    assert presence_events(ws_outbox, staff.connection_id) == []
    assert channels_of(page.connection_id) == {"lobby"}


def test_a_view_narrows_what_the_rules_allow(
    open_connection: Open, member: AbstractUser, outsider: AbstractUser
) -> None:
    # The rules admit the member to secret-a and everyone to ruled-lobby; view A does not.
    assert open_connection(member, "secret-a", view="a").response.status_code == 403
    assert open_connection(outsider, "ruled-lobby", view="a").response.status_code == 403
    assert open_connection(member, "secret-a", view="b").response.status_code == 200
    assert open_connection(outsider, "ruled-lobby", view="b").response.status_code == 200


def test_without_a_dict_from_the_rule_the_view_presence_info_is_used(
    open_connection: Open, outsider: AbstractUser
) -> None:
    page = connected(open_connection, outsider, "lobby")
    status, body = answer(page, {"handler": "subscribe", "channel": "presence-open"})
    assert status == 200
    assert body["members"] == [
        {"user_id": outsider.pk, "info": {"from": "presence_info", "username": "olly"}}
    ]


def test_resume_asks_the_rules_again(
    open_connection: Open, member: AbstractUser, caplog: pytest.LogCaptureFixture
) -> None:
    insider = connected(open_connection, member, ["lobby", "secret-a"])
    publish("secret-a", {"text": "before"})
    member.groups.remove(Group.objects.get(name="team-a"))  # access taken away

    with caplog.at_level(logging.WARNING, logger=VIEWS_LOGGER):
        status, body = answer(insider, {"handler": "resume", "channel": "secret-a", "after": 0})

    assert (status, body) == (403, REFUSED)
    assert any("refused 'secret-a'" in r.getMessage() for r in caplog.records)


def test_an_int_part_reaches_the_rule_as_a_number(
    open_connection: Open, member: AbstractUser, outsider: AbstractUser
) -> None:
    assert open_connection(member, f"order-{member.pk}").response.status_code == 200
    assert open_connection(outsider, f"order-{member.pk}").response.status_code == 403


# channels_require_rule


@pytest.mark.parametrize("require_rule", [False, True])
def test_a_channel_no_rule_matches_is_refused_only_when_a_rule_is_required(
    open_connection: Open, outsider: AbstractUser, settings: Any, require_rule: bool
) -> None:
    settings.WEBSOCKETS = {"channels_require_rule": require_rule}
    expected = 403 if require_rule else 200

    assert open_connection(outsider, "unlisted").response.status_code == expected
    assert open_connection(outsider, ["ruled-lobby", "unlisted"]).response.status_code == expected
    # The gateway's default channel ("default") is asked about like any other.
    assert open_connection(outsider).response.status_code == expected
    page = connected(open_connection, outsider, "ruled-lobby")
    for handler in ("subscribe", "change_channel"):
        status, _ = answer(page, {"handler": handler, "channel": "unlisted"})
        assert status == expected


def test_required_rule_refusals_say_why_in_the_log(
    open_connection: Open, settings: Any, caplog: pytest.LogCaptureFixture
) -> None:
    settings.WEBSOCKETS = {"channels_require_rule": True}
    with caplog.at_level(logging.WARNING, logger=VIEWS_LOGGER):
        assert open_connection(None, "unlisted").response.status_code == 403
    assert any(
        "no channel rule matches 'unlisted' (channels_require_rule)" in r.getMessage()
        for r in caplog.records
    )


def test_the_gateway_default_channel_obeys_the_rules(
    gateway: ApiGateway, open_connection: Open, member: AbstractUser, outsider: AbstractUser
) -> None:
    gateway.default_channel_name = "secret-a"
    gateway.save()

    assert open_connection(outsider).response.status_code == 403
    insider = connected(open_connection, member, None)
    assert WebSocketSession.objects.get(connection_id=insider.connection_id).channel_name == (
        "secret-a"
    )


def test_a_second_gateway_obeys_the_same_rules(gateway: ApiGateway, outsider: AbstractUser) -> None:
    ApiGateway.objects.create(
        api_name="Second API",
        target_base_endpoint="https://other.example.com/b/",
        api_id="secondapi9",
        api_endpoint="ws://127.0.0.1:8002",
    )
    client = Client()
    client.force_login(outsider)
    second = WebSocketTestClient("/b/", api_id="secondapi9", client=client)

    assert second.connect(channel="secret-a").response.status_code == 403
    page = second.connect(channel="lobby")
    assert page.response.status_code == 200
    assert answer(page, {"handler": "subscribe", "channel": "secret-a"}) == (403, REFUSED)
