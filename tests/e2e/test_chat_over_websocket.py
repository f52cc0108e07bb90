"""The example chat through real processes: Django, the local gateway, a WebSocket client."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import boto3
import pytest
import requests
import websockets
from botocore.exceptions import ClientError

from django_aws_api_gateway_websockets import wire
from tests.waiting import wait_until

from .clients import connect, logged_in, new_token, receive, receive_frame
from .stack import Stack

pytestmark = pytest.mark.e2e


def sessions_in(stack: Stack, channel: str) -> list[tuple[str, bool, int]]:
    rows = stack.sql(
        "SELECT COALESCE(u.username, ''), s.connected, s.request_count "
        "FROM django_aws_api_gateway_websockets_websocketsession s "
        "LEFT JOIN auth_user u ON u.id = s.user_id "
        f"WHERE s.channel_name = '{channel}' ORDER BY u.username"
    )
    return [(str(name), bool(connected), int(count)) for name, connected, count in rows]  # type: ignore[call-overload]


def wait_for_sessions(stack: Stack, channel: str, expected: list[tuple[str, bool, int]]) -> None:
    """$disconnect reaches Django after the client has seen the close: poll."""
    wait_until(
        lambda: sessions_in(stack, channel) == expected,
        what=f"sessions of {channel} are {expected}",
    )


def usernames(members: list[dict[str, Any]]) -> list[str]:
    return sorted(member["info"]["username"] for member in members)


def test_two_users_chat_and_see_who_is_in_the_room(stack: Stack) -> None:
    alice, bob = logged_in(stack, "alice"), logged_in(stack, "bob")
    subscribe = json.dumps({"handler": "subscribe", "channel": "presence-e2e-room"})

    async def scenario() -> None:
        ws_alice = await connect(stack, new_token(stack, alice), "e2e-room")
        await ws_alice.send(subscribe)
        assert usernames((await receive_frame(ws_alice, "subscribed"))["members"]) == ["alice"]

        ws_bob = await connect(stack, new_token(stack, bob), "e2e-room")
        await ws_bob.send(subscribe)
        assert usernames((await receive_frame(ws_bob, "subscribed"))["members"]) == [
            "alice",
            "bob",
        ]
        added = await receive_frame(ws_alice, "member_added")
        assert (added["channel"], added["member"]["info"]) == (
            "presence-e2e-room",
            {"username": "bob"},
        )

        await ws_bob.send(json.dumps({"action": "chat", "text": "hi alice"}))
        for ws in (ws_alice, ws_bob):
            message = await receive_frame(ws, "publish")
            assert message == {
                "$ws": "publish",
                "channel": "e2e-room",
                "seq": 1,
                "data": {"type": "chat", "user": "bob", "text": "hi alice"},
            }

        # Only to a room the connection is in, and never to a presence channel.
        for room, error in (
            ("elsewhere", "follow #elsewhere before posting to it"),
            ("presence-e2e-room", "not a room"),
        ):
            await ws_bob.send(json.dumps({"action": "chat", "room": room, "text": "x"}))
            assert (await receive(ws_bob, "error"))["error"] == error

        await ws_bob.close()
        removed = await receive_frame(ws_alice, "member_removed")
        assert removed["member"]["user_id"] == added["member"]["user_id"]
        await ws_alice.close()

    asyncio.run(scenario())
    wait_for_sessions(stack, "e2e-room", [("alice", False, 1), ("bob", False, 4)])


def test_a_token_opens_one_connection_only(stack: Stack) -> None:
    token = new_token(stack, logged_in(stack, "alice"))

    async def scenario() -> int:
        first = await connect(stack, token, "once")
        try:
            await connect(stack, token, "once")
        except websockets.InvalidStatus as refused:
            return refused.response.status_code
        finally:
            await first.close()
        raise AssertionError("the second connect with one token was accepted")

    assert asyncio.run(scenario()) in (401, 403)


def test_requests_without_the_gateway_secret_are_refused(stack: Stack) -> None:
    # Every header right (the registered api id included) except the secret.
    ((api_id,),) = stack.sql("SELECT api_id FROM django_aws_api_gateway_websockets_apigateway")
    request = wire.connect_request(
        connection_id=wire.new_connection_id(),
        api_id=str(api_id),
        query={"channel": "forged"},
        client_headers={"Origin": stack.http_url},
    )
    response = requests.post(request.url(f"{stack.http_url}/ws/connect"), headers=request.headers)
    assert response.status_code == 403
    assert sessions_in(stack, "forged") == []


def test_management_api_through_boto3(stack: Stack) -> None:
    client = boto3.client(
        "apigatewaymanagementapi",
        endpoint_url=stack.management_url,
        region_name="eu-west-1",
        aws_access_key_id="local",
        aws_secret_access_key="local",
    )
    alice = logged_in(stack, "alice")

    async def scenario() -> None:
        ws = await connect(stack, new_token(stack, alice), "boto")
        (connection_id,) = stack.sql(
            "SELECT connection_id FROM django_aws_api_gateway_websockets_websocketsession "
            "WHERE channel_name = 'boto' AND connected"
        )[0]
        info = await asyncio.to_thread(client.get_connection, ConnectionId=connection_id)
        assert info["Identity"]["SourceIp"] == "127.0.0.1"
        await asyncio.to_thread(
            client.post_to_connection, ConnectionId=connection_id, Data=b'{"type": "poke"}'
        )
        assert await receive(ws, "poke") == {"type": "poke"}
        await asyncio.to_thread(client.delete_connection, ConnectionId=connection_id)
        with pytest.raises(websockets.ConnectionClosed):
            await asyncio.wait_for(ws.recv(), 10)
        with pytest.raises(ClientError) as gone:
            await asyncio.to_thread(
                client.post_to_connection, ConnectionId=connection_id, Data=b"late"
            )
        assert gone.value.response["Error"]["Code"] == "GoneException"

    asyncio.run(scenario())
    # The gateway's $disconnect reached Django and closed the row.
    wait_for_sessions(stack, "boto", [("alice", False, 0)])
