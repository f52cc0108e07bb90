"""A view that publishes, routed for the on-commit tests (``pytest.mark.urls``)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.urls import path

from django_aws_api_gateway_websockets.publishing import publish
from django_aws_api_gateway_websockets.views import WebSocketView


class PublishingView(WebSocketView):
    USE_WS_TOKEN = False
    ALLOWED_HANDLERS = ("post",)

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> dict[str, Any]:
        result = publish("lobby", {"text": self.body["text"]})
        return {"seq": result.seq, "after_commit": result.after_commit}


urlpatterns = [path("publishing-ws/<slug:route>", PublishingView.as_view())]
