"""The built-in channel handlers: ``change_channel``, ``subscribe``, ``unsubscribe``, ``resume``.

A mixin of ``WebSocketView``: every public method defined here is a handler a
message may select (``handlers.BUILTIN_HANDLERS`` is derived from this class),
and a subclass of the view overrides one by defining a method of its name, as
before. The checks they rely on (``check_can_join``, ``authorize_channel``,
``current_session``) and the request's ``body`` and ``message_id`` are the view's.
"""

from __future__ import annotations

import inspect
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.utils import timezone

from .. import history, presence, protocol, subscriptions
from ..channels import Admission, validate_channel_name
from ..conf import conf
from ..models import WebSocketSession
from . import resuming


class ChannelHandlers:
    """Joining, leaving, moving between and catching up on channels (docs/channels.md)."""

    body: dict[str, Any]
    message_id: str | None

    if TYPE_CHECKING:  # provided by WebSocketView

        def check_can_join(self, request: HttpRequest, channel: str) -> dict[str, Any] | None: ...

        def authorize_channel(self, request: HttpRequest, channel: str) -> Admission: ...

        def current_session(self) -> WebSocketSession: ...

    def change_channel(self, request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        """Move the connection's ``channel_name`` (and that membership) to another channel."""
        channel = validate_channel_name(self.body.get("channel"))
        info = self.check_can_join(request, channel)
        session = self.current_session()
        previous = session.channel_name
        with transaction.atomic(savepoint=False):
            if previous and previous != channel:
                subscriptions.leave(session, previous)
            # A move leaves as many channels as it joins: only a connection with
            # no channel_name can go over the limit here.
            limit = None if previous else conf.max_channels_per_connection
            subscriptions.join(session, {channel: info}, limit=limit)
            WebSocketSession.objects.filter(pk=session.pk).update(
                channel_name=channel, updated_on=timezone.now()
            )
        session.channel_name = channel
        return protocol.channel_changed(channel, previous)

    def subscribe(self, request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        """Join one more channel; a presence channel answers its member list too."""
        channel = validate_channel_name(self.body.get("channel"))
        info = self.check_can_join(request, channel)
        session = self.current_session()
        subscriptions.join(session, {channel: info}, limit=conf.max_channels_per_connection)
        members = presence.presence_members(channel) if info is not None else None
        return protocol.subscribed(channel, members)

    def unsubscribe(self, request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        """Leave a channel (answered the same when not in it)."""
        channel = validate_channel_name(self.body.get("channel"))
        session = self.current_session()
        with transaction.atomic(savepoint=False):
            subscriptions.leave(session, channel)
            if session.channel_name == channel:
                # So that 4.x-style filter(channel_name=...) agrees with in_channel().
                WebSocketSession.objects.filter(pk=session.pk).update(
                    channel_name="", updated_on=timezone.now()
                )
                session.channel_name = ""
        return protocol.unsubscribed(channel)

    def resume(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        """The messages of a subscribed channel after seq ``after`` (docs/channels.md)."""
        channel, after = resuming.parse_resume(self.body)
        session = self.current_session()
        resuming.check_subscribed(session, channel)
        # History is for current members: access may have been taken back since the join.
        self.authorize_channel(request, channel)
        answer = history.read_missed(channel, after).answer(self.message_id)
        return HttpResponse(answer, content_type="application/json")


# The handler names: every public method above, so a new one is reachable without a list to edit.
CHANNEL_HANDLERS = frozenset(
    name
    for name, value in vars(ChannelHandlers).items()
    if inspect.isfunction(value) and not name.startswith("_")
)
