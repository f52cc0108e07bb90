"""The chat's WebSocket view: API Gateway (or the local gateway) posts here."""

from __future__ import annotations

from typing import Any

from django.core.cache import cache
from django.http import HttpRequest

from django_aws_api_gateway_websockets.models import WebSocketSession
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


def text_error(text: object) -> dict[str, str] | None:
    """Why ``text`` cannot be sent, as the answer to its sender; None if it can."""
    if not isinstance(text, str) or not text.strip():
        return {"type": "error", "error": "text must be a non-empty string"}
    if len(text) > MAX_CHAT_TEXT_LENGTH:
        return {"type": "error", "error": f"at most {MAX_CHAT_TEXT_LENGTH} characters"}
    return None


class ChatSocketView(WebSocketView):
    USE_WS_TOKEN = True
    # The built-in channel handlers, and the chat's own.
    ALLOWED_HANDLERS = ("subscribe", "unsubscribe", "resume", "chat", "announce")

    def chat(self, request: HttpRequest, *args: Any, **kwargs: Any) -> dict[str, str] | None:
        text = self.body.get("text")
        if error := text_error(text):
            return error
        session = self.websocket_session
        room = self.body.get("room", session.channel_name)
        if error := self.room_error(room):
            return error
        if handled_before(request.user.pk, self.message_id):
            # The page retried after an error frame that came although this
            # message got through: acknowledge, publish nothing twice.
            return None
        # Published, not just sent: it gets the room's next seq and is kept, so
        # a page that was offline gets it when it resumes. A room is small: the
        # sends happen right away, in this request.
        self.publish(room, {"type": "chat", "user": request.user.get_username(), "text": text})
        remember_handled(request.user.pk, self.message_id)
        return None

    def room_error(self, room: object) -> dict[str, str] | None:
        """Why this connection cannot post to ``room``; None if it can."""
        if not isinstance(room, str) or self.is_presence_channel(room):
            return {"type": "error", "error": "not a room"}
        in_room = WebSocketSession.objects.in_channel(room).filter(pk=self.websocket_session.pk)
        if not in_room.exists():
            return {"type": "error", "error": f"follow #{room} before posting to it"}
        return None

    def announce(self, request: HttpRequest, *args: Any, **kwargs: Any) -> dict[str, str] | None:
        text = self.body.get("text")
        if error := text_error(text):
            return error
        if handled_before(request.user.pk, self.message_id):
            return None
        # Every connection of every room may be many: the sending goes to
        # background tasks (the db_worker that scripts/demo runs), and this
        # request returns as soon as they are enqueued. Not published: an
        # announcement belongs to no room's history.
        WebSocketSession.objects.connected().enqueue_message(
            {"type": "announcement", "user": request.user.get_username(), "text": text}
        )
        remember_handled(request.user.pk, self.message_id)
        return None
