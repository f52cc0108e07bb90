"""Two views behind one gateway: A narrows the channels, B keeps every default hook."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.urls import URLPattern, path

from django_aws_api_gateway_websockets.views import WebSocketView


class NarrowView(WebSocketView):
    """View A: refuses every secret channel itself, and "ruled-lobby" too."""

    USE_WS_TOKEN = False

    def can_join_channel(self, request: HttpRequest, channel: str) -> bool:
        return "secret" not in channel and channel != "ruled-lobby"


class DefaultView(WebSocketView):
    """View B: the default hooks; a handler that publishes."""

    USE_WS_TOKEN = False

    def announce(self, request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        result = self.publish(self.body["channel"], {"text": self.body["text"]})
        return {"type": "published", "seq": result.seq}

    def presence_info(self, user: Any) -> dict[str, Any]:
        return {"from": "presence_info", "username": user.get_username()}


urlpatterns: list[URLPattern] = [
    path("a/<slug:route>", NarrowView.as_view()),
    path("b/<slug:route>", DefaultView.as_view()),
]
