"""A view whose handler publishes, for the history tests."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.urls import URLPattern, path

from django_aws_api_gateway_websockets.views import WebSocketView


class NewsView(WebSocketView):
    USE_WS_TOKEN = False

    def announce(self, request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        result = self.publish(self.body["channel"], {"text": self.body["text"]})
        return {"type": "published", "seq": result.seq}


urlpatterns: list[URLPattern] = [path("ws/<slug:route>", NewsView.as_view())]
