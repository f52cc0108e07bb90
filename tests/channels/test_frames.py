"""Every frame the server sends carries protocol.FRAME_KEY; an application's message never does.

Through the view and the outbox, as a browser would receive them: the answers
to messages (built-in handlers, acknowledgements, refusals, a failing
handler), presence events and published channel messages on one side;
``send_message`` and a handler's reply on the other.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.auth.models import AbstractUser

from django_aws_api_gateway_websockets import protocol
from django_aws_api_gateway_websockets.models import WebSocketSession
from django_aws_api_gateway_websockets.publishing import publish
from django_aws_api_gateway_websockets.testing import WebSocketTestClient
from django_aws_api_gateway_websockets.testing.capture import Outbox
from tests.conftest import API_ID

Tab = Callable[..., str]
# Presence events and publish sends wait for the commit.
pytestmark = pytest.mark.django_db(transaction=True)

# An application's message that uses every key the package's frames use, but FRAME_KEY.
LOOKALIKE = {
    "type": "subscribed",
    "event": "member_added",
    "channel": "presence-room",
    "seq": 1,
    "data": {"n": 1},
    "ack": "m-1",
    "error": "no",
    "refused": "m-1",
    "reply": None,
    "members": [],
}


def answer(ws: WebSocketTestClient, connection_id: str, body: dict[str, Any]) -> Any:
    response = ws.send(connection_id, {"client_message_id": "m-1", **body})
    return json.loads(response.content)


def frame_name(frame: Any) -> str:
    assert isinstance(frame, dict) and frame.get(protocol.FRAME_KEY) in protocol.FRAMES, frame
    return str(frame[protocol.FRAME_KEY])


def test_every_answer_to_a_message_is_a_named_frame(
    tab: Tab, ws: WebSocketTestClient, user: AbstractUser
) -> None:
    alice = tab(user, channel="lobby")
    publish("lobby", {"n": 1})
    answers = [
        answer(ws, alice, {"handler": "subscribe", "channel": "presence-room"}),
        answer(ws, alice, {"handler": "unsubscribe", "channel": "presence-room"}),
        answer(ws, alice, {"handler": "change_channel", "channel": "hall"}),
        answer(ws, alice, {"handler": "change_channel", "channel": "lobby"}),
        answer(ws, alice, {"handler": "resume", "channel": "lobby", "after": 0}),
        answer(ws, alice, {"handler": "resume", "channel": "lobby", "after": 5}),
        answer(ws, alice, {"handler": "ping"}),
        answer(ws, alice, {"handler": "shout", "text": "hi"}),
        answer(ws, alice, {"handler": "subscribe", "channel": "not a name"}),
    ]
    broken = WebSocketTestClient("/quiet-broken-ws/", api_id=API_ID).send(
        alice, {"client_message_id": "m-2"}
    )

    assert [frame_name(frame) for frame in answers] == [
        "subscribed",
        "unsubscribed",
        "channel_changed",
        "channel_changed",
        "resumed",
        "resume_failed",
        "ack",
        "ack",
        "error",
    ]
    # The frames inside a frame (resumed's messages) are named too.
    assert [frame_name(message) for message in answers[4]["messages"]] == ["publish"]
    # A failing handler's answer names the message, so the client knows which one failed.
    assert broken.status_code == 500
    assert broken.json() == protocol.error("Internal error.", refused="m-2")


def test_events_and_channel_messages_are_named_frames(
    tab: Tab, ws_outbox: Outbox, user: AbstractUser, bob: AbstractUser
) -> None:
    bobs = tab(bob, channel="presence-room")
    alices = tab(user, channel="presence-room")
    publish("presence-room", {"n": 1})
    WebSocketTestClient("/ws/", api_id=API_ID).disconnect(alices)

    assert [frame_name(frame) for frame in ws_outbox.data_for(bobs)] == [
        "member_added",
        "publish",
        "member_removed",
    ]


def test_an_applications_message_arrives_exactly_as_sent(
    tab: Tab, ws: WebSocketTestClient, ws_outbox: Outbox
) -> None:
    page = tab(channel="lobby")

    WebSocketSession.objects.in_channel("lobby").send_message(LOOKALIKE)
    # The test view's default handler returns {"echo": <the message>, "user": ...}.
    reply = answer(ws, page, LOOKALIKE)

    assert ws_outbox.data_for(page) == [LOOKALIKE]
    assert protocol.FRAME_KEY not in ws_outbox.messages[0].raw.decode()
    # A handler's reply travels inside its acknowledgement, untouched.
    echoed = {"client_message_id": "m-1", **LOOKALIKE}
    assert reply == protocol.reply("m-1", {"echo": echoed, "user": ""})
