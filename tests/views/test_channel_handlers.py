"""The built-in channel handlers live in their mixin; subclasses of the view see no change."""

from __future__ import annotations

import inspect

import pytest

from django_aws_api_gateway_websockets.models import ApiGateway, WebSocketSession
from django_aws_api_gateway_websockets.testing import WebSocketTestClient
from django_aws_api_gateway_websockets.views import WebSocketView
from django_aws_api_gateway_websockets.views.channel_handlers import (
    CHANNEL_HANDLERS,
    ChannelHandlers,
)
from django_aws_api_gateway_websockets.views.handlers import BUILTIN_HANDLERS, allowed_handlers
from tests.conftest import API_ID

pytestmark = pytest.mark.django_db


def test_the_builtin_handlers_are_the_mixins_methods_with_default_and_ping() -> None:
    assert {"change_channel", "subscribe", "unsubscribe", "resume"} == CHANNEL_HANDLERS
    assert CHANNEL_HANDLERS | {"default", "ping"} == BUILTIN_HANDLERS
    for name in CHANNEL_HANDLERS:
        # Still attributes of the view, with the signature every handler has.
        assert getattr(WebSocketView, name) is getattr(ChannelHandlers, name)
        assert list(inspect.signature(getattr(WebSocketView, name)).parameters) == [
            "self",
            "request",
            "args",
            "kwargs",
        ]
    assert issubclass(WebSocketView, ChannelHandlers)


def test_a_view_without_allowed_handlers_reaches_them_and_one_that_lists_others_does_not() -> None:
    class Plain(WebSocketView):
        def chat(self) -> None: ...

    class Listed(WebSocketView):
        ALLOWED_HANDLERS = ["chat", "subscribe"]

        def chat(self) -> None: ...

    assert allowed_handlers(Plain, WebSocketView) == BUILTIN_HANDLERS | {"chat"}
    assert allowed_handlers(Listed, WebSocketView) == {"chat", "subscribe", "ping"}


def test_a_subclass_overrides_a_channel_handler_and_calls_super(gateway: ApiGateway) -> None:
    ws = WebSocketTestClient("/overriding-ws/", api_id=API_ID)
    connection_id, _ = ws.connect()

    answer = ws.send(connection_id, {"handler": "subscribe", "channel": "room"}).json()

    assert answer == {"$ws": "subscribed", "channel": "room", "extended": True}
    assert WebSocketSession.objects.in_channel("room").filter(connection_id=connection_id).exists()
    # The other channel handlers are the mixin's, reached as before.
    moved = ws.send(connection_id, {"handler": "change_channel", "channel": "hall"}).json()
    assert moved["$ws"] == "channel_changed"
