"""The chaos site's WebSocket views: a reply per message, and a log of what was handled."""

from __future__ import annotations

import os
from typing import Any

from django.http import HttpRequest, JsonResponse

from django_aws_api_gateway_websockets.models import WebSocketSession
from django_aws_api_gateway_websockets.views import WebSocketView

# One line "<connection id> <seq>" per echo handled; appends of a short line are
# atomic, so the gunicorn workers can share the file.
HANDLED_LOG_ENV = "CHAOS_HANDLED_LOG"


class ChaosSocketView(WebSocketView):
    ALLOWED_HANDLERS = ("whoami", "echo", "multicast")
    # Cookie mode: the cross-site scenario is about a logged-in user's cookies
    # reaching $connect from another origin, which a token would hide.
    USE_WS_TOKEN = False
    # Hundreds of clients connect from 127.0.0.1 within seconds.
    RATE_LIMIT_ENABLED = False

    def whoami(self, request: HttpRequest, *args: Any, **kwargs: Any) -> JsonResponse:
        return JsonResponse(
            {
                "type": "whoami",
                "connection_id": self.websocket_session.connection_id,
                "user": request.user.get_username(),
            }
        )

    def echo(self, request: HttpRequest, *args: Any, **kwargs: Any) -> JsonResponse:
        seq = self.body.get("seq")
        path = os.environ.get(HANDLED_LOG_ENV)
        if path and isinstance(seq, int):
            with open(path, "a") as log:
                log.write(f"{self.websocket_session.connection_id} {seq}\n")
        return JsonResponse({"type": "echo", "seq": seq})

    def multicast(self, request: HttpRequest, *args: Any, **kwargs: Any) -> JsonResponse:
        channel = self.websocket_session.channel_name
        result = WebSocketSession.objects.in_channel(channel).send_message(
            {"type": "multicast", "n": self.body.get("n")}
        )
        return JsonResponse(
            {
                "type": "multicast-result",
                "sent": result.sent,
                "gone": result.gone,
                "pending": result.pending,
                "failed": result.failed,
            }
        )


class RateLimitedSocketView(ChaosSocketView):
    """The same view with the connect rate limit on, as the package ships it."""

    RATE_LIMIT_ENABLED = True
