"""Views the test suite routes API Gateway traffic to."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.utils import timezone

from django_aws_api_gateway_websockets.channels import validate_channel_name
from django_aws_api_gateway_websockets.exceptions import DenyConnection
from django_aws_api_gateway_websockets.models import WebSocketSession, WebSocketToken
from django_aws_api_gateway_websockets.views import WebSocketView

PINNED_API_ID = "pinnedapi42"


class ChatView(WebSocketView):
    """Echoes; refuses the channel "vip"; refuses $connect with header X-Deny.

    Without tokens: most tests drive $connect with cookies or anonymously.
    """

    USE_WS_TOKEN = False

    def default(self, request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        return {"echo": self.body, "user": request.user.get_username()}

    def shout(self, request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        return {"shout": str(self.body.get("text", "")).upper()}

    def whoami(self, request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        session = self.websocket_session
        assert session is not None
        return {
            "user": request.user.get_username(),
            "authenticated": request.user.is_authenticated,
            "channel": session.channel_name,
        }

    def chat(self, request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        session = self.websocket_session
        assert session is not None
        WebSocketSession.objects.connected().in_channel(session.channel_name).send_message(
            {"user": request.user.get_username(), "text": self.body.get("text", "")}
        )
        return {"ok": True}

    def message_id_seen(self, request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        return {"message_id": self.message_id}

    def silent(self, request: HttpRequest, *args: Any, **kwargs: Any) -> None:
        return None

    def plain(self, request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        return "plain text"

    def teapot(self, request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        return HttpResponse("short and stout", status=418)

    def listing(self, request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        return [1, 2, 3]

    def deny(self, request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        raise DenyConnection("Not today.", status=403)

    def _secret(self, request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        return {"leaked": True}

    def can_join_channel(self, request: HttpRequest, channel: str) -> bool:
        return channel != "vip"

    def check_connect(self, request: HttpRequest) -> None:
        if request.headers.get("X-Deny"):
            raise DenyConnection("Denied by check_connect.", status=451)


class TokenChatView(ChatView):
    USE_WS_TOKEN = True


class RacingTokenView(TokenChatView):
    """Another connect uses the token while this one runs its last check."""

    def check_connect(self, request: HttpRequest) -> None:
        WebSocketToken.objects.update(used_on=timezone.now())


class NoDefaultView(WebSocketView):
    USE_WS_TOKEN = False

    def hello(self, request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        return {"hello": "world"}


class ListedView(ChatView):
    # "connect" and "_secret" are listed but must never be reachable.
    ALLOWED_HANDLERS = ["shout", "connect", "_secret", "dispatch", "missing"]
    ADDITIONAL_ALLOWED_HANDLERS = ["whoami"]


class AnyPermissionView(ChatView):
    permissions_required = ["auth.view_user", "auth.change_user"]


class AllPermissionsView(ChatView):
    all_permissions_required = ["auth.view_user", "auth.change_user"]


class ConnectPermissionView(ChatView):
    permissions_required = ["auth.view_user"]
    CHECK_PERMISSIONS_ON_CONNECT = True


class BrokenView(ChatView):
    def default(self, request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        raise ZeroDivisionError("handler bug")

    def odd(self, request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        return 42


class QuietBrokenView(BrokenView):
    SEND_EXCEPTION_MAIL = False


class WritingBrokenView(QuietBrokenView):
    def default(self, request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        session = self.websocket_session
        assert session is not None
        WebSocketSession.objects.filter(pk=session.pk).update(channel_name="written")
        raise RuntimeError("fails after a write")


class WritingRefusingView(ChatView):
    def default(self, request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        session = self.websocket_session
        assert session is not None
        WebSocketSession.objects.filter(pk=session.pk).update(channel_name="written")
        raise DenyConnection("refused after a write", status=409)


class WritingChannelErrorView(ChatView):
    """A handler that uses a service's check after a write: its ChannelError is a 400."""

    def default(self, request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        session = self.websocket_session
        assert session is not None
        WebSocketSession.objects.filter(pk=session.pk).update(channel_name="written")
        return {"room": validate_channel_name(self.body.get("room"))}


class OverridingSubscribeView(ChatView):
    """A 4.x-style subclass that extends a built-in channel handler through super()."""

    def subscribe(self, request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        answer = super().subscribe(request, *args, **kwargs)
        return {**answer, "extended": True}


class PinnedView(ChatView):
    aws_api_gateway_id = PINNED_API_ID


class StrictView(ChatView):
    RATE_LIMIT_MAX_ATTEMPTS = 2
    RATE_LIMIT_WINDOW_MINUTES = 5
    MAX_BODY_SIZE = 64
    expected_useragent_prefix = "AmazonAPIGateway_"
    required_connection_headers = ["Sec-WebSocket-Key"]


class NoRateLimitView(ChatView):
    RATE_LIMIT_ENABLED = False


class FourXStyleView(WebSocketView):
    """Written for 4.x: its defaults, and its spelling of "not set"."""

    ALLOWED_HANDLERS: Any = set()  # 4.x's default: every method of the view
    RATE_LIMIT_MAX_ATTEMPTS = 0  # 4.x: 0 means the setting
    RATE_LIMIT_WINDOW_MINUTES = 0

    def hello(self, request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        return {"hello": request.user.get_username()}

    def check_connect(self, request: HttpRequest) -> None:
        # 4.x parsed the body of every request: self.body exists, empty, on $connect.
        if self.body != {}:
            raise DenyConnection("A $connect has no body.", status=400)


class RoomsView(ChatView):
    """Presence channels are the ones named "room-...", and members show a display name."""

    def is_presence_channel(self, channel: str) -> bool:
        return channel.startswith("room-")

    def presence_info(self, user: Any) -> dict[str, Any]:
        return {"name": user.get_username().title()}


class FourXChannelCheckView(ChatView):
    """Authorizes its channel the 4.x way, from ``request.GET.get("channel")``."""

    def check_connect(self, request: HttpRequest) -> None:
        if request.GET.get("channel") == "staff" and not request.user.is_staff:
            raise DenyConnection("Staff only.", status=403)


class TightBudgetView(ChatView):
    """Three messages at once, then almost none: its own inbound budget."""

    MESSAGES_PER_SECOND = 0.001
    MESSAGES_BURST = 3


class UnlimitedView(ChatView):
    MESSAGES_PER_SECOND = 0


class AuthorizerContextView(ChatView):
    """Behind a Lambda authorizer: refuses a $connect whose context names no tenant."""

    def check_connect(self, request: HttpRequest) -> None:
        if "tenant" not in self.authorizer_context:
            raise DenyConnection("No tenant.", status=403)

    def tenant(self, request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        return {"context_on_messages": dict(self.authorizer_context)}
