"""The chat's WebSocket view: API Gateway (or the local gateway) posts here."""

from __future__ import annotations

from typing import Any

from django.core.cache import cache
from django.dispatch import receiver
from django.http import HttpRequest

from django_aws_api_gateway_websockets.models import WebSocketSession
from django_aws_api_gateway_websockets.signals import connection_closed
from django_aws_api_gateway_websockets.views import WebSocketView

MAX_CHAT_TEXT_LENGTH = 500
# How long a handled message id is remembered: longer than any page keeps
# offering "retry" for it.
HANDLED_IDS_SECONDS = 24 * 60 * 60


def _handled_key(user_pk: object, message_id: str) -> str:
    return f"chat:handled:{user_pk}:{message_id}"


def handled_before(user_pk: object, message_id: str | None) -> bool:
    """True when this user's message with this id was handled already (a retry)."""
    return message_id is not None and bool(cache.get(_handled_key(user_pk, message_id)))


def remember_handled(user_pk: object, message_id: str | None) -> None:
    """After the effect, never before: a failure in between must leave the retry
    free to deliver (at worst a crash right here repeats the effect once)."""
    if message_id is not None:
        cache.set(_handled_key(user_pk, message_id), True, HANDLED_IDS_SECONDS)


def send_presence(channel_name: str) -> None:
    """Tell everyone in the room who is in the room."""
    sessions = WebSocketSession.objects.connected().in_channel(channel_name)
    names = sorted(
        {username for username in sessions.values_list("user__username", flat=True) if username}
    )
    sessions.send_message({"type": "presence", "room": channel_name, "users": names})


def text_error(text: object) -> dict[str, str] | None:
    """Why ``text`` cannot be sent, as the answer to its sender; None if it can."""
    if not isinstance(text, str) or not text.strip():
        return {"type": "error", "error": "text must be a non-empty string"}
    if len(text) > MAX_CHAT_TEXT_LENGTH:
        return {"type": "error", "error": f"at most {MAX_CHAT_TEXT_LENGTH} characters"}
    return None


class ChatSocketView(WebSocketView):
    USE_WS_TOKEN = True
    ALLOWED_HANDLERS = ("join", "chat", "announce")

    def join(self, request: HttpRequest, *args: Any, **kwargs: Any) -> None:
        # $connect cannot send to the client (the connection does not exist yet),
        # so the page says "join" once it is open and everyone gets the new list.
        send_presence(self.websocket_session.channel_name)

    def chat(self, request: HttpRequest, *args: Any, **kwargs: Any) -> dict[str, str] | None:
        text = self.body.get("text")
        if error := text_error(text):
            return error
        if handled_before(request.user.pk, self.message_id):
            # The page retried after an error frame that came although this
            # message got through: acknowledge, send nothing twice.
            return None
        room = self.websocket_session.channel_name
        # A room is small: send right away, in this request.
        WebSocketSession.objects.connected().in_channel(room).send_message(
            {"type": "chat", "room": room, "user": request.user.get_username(), "text": text}
        )
        remember_handled(request.user.pk, self.message_id)
        return None

    def announce(self, request: HttpRequest, *args: Any, **kwargs: Any) -> dict[str, str] | None:
        text = self.body.get("text")
        if error := text_error(text):
            return error
        if handled_before(request.user.pk, self.message_id):
            return None
        # Every connection of every room may be many: the sending goes to
        # background tasks (the db_worker that scripts/demo runs), and this
        # request returns as soon as they are enqueued.
        WebSocketSession.objects.connected().enqueue_message(
            {"type": "announcement", "user": request.user.get_username(), "text": text}
        )
        remember_handled(request.user.pk, self.message_id)
        return None


@receiver(connection_closed, sender=ChatSocketView)
def _announce_departure(sender: type, session: WebSocketSession, **kwargs: Any) -> None:
    send_presence(session.channel_name)
