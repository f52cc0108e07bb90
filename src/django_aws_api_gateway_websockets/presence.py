"""Presence channels: who is in a channel (one entry per user), and telling the others.

A channel is a presence channel when the view says so (``is_presence_channel``;
by default, names starting with ``WEBSOCKETS["presence_channel_prefix"]``).
``subscriptions`` decides when a user's first connection joined or the last
one left; this module answers the member list and sends the events, through
``messaging`` (or background tasks for a channel of at least
``WEBSOCKETS["publish_background_threshold"]`` connections).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from . import messaging, protocol, tasks, telemetry
from .conf import conf
from .models import ChannelMembership, WebSocketSession
from .subscriptions import MEMBER_ADDED, PresenceChange


def has_presence_prefix(channel: str) -> bool:
    """The default ``WebSocketView.is_presence_channel``."""
    prefix = conf.presence_channel_prefix
    return bool(prefix) and channel.startswith(prefix)


def presence_members(channel: str) -> list[dict[str, Any]]:
    """``[{"user_id": ..., "info": ...}, ...]``: one entry per user, in order of joining; one query.

    A user with several connections in the channel is listed once, with the
    info of the connection that joined last.
    """
    rows = (
        ChannelMembership.objects.filter(
            channel_name=channel,
            presence_info__isnull=False,
            user__isnull=False,
            session__connected=True,
        )
        .order_by("joined_on", "pk")
        .values_list("user_id", "presence_info")
    )
    members: dict[Any, Any] = {}
    for user_id, info in rows:
        # A later tab keeps the user's place in the dict and brings its newer info.
        members[user_id] = info
    return [protocol.member(user_id, info) for user_id, info in members.items()]


def event(change: PresenceChange) -> dict[str, Any]:
    if change.event == MEMBER_ADDED:
        return protocol.member_added(change.channel, change.user_id, change.info)
    return protocol.member_removed(change.channel, change.user_id)


def announce(changes: Iterable[PresenceChange]) -> None:
    """Send each change to the channel's other connections (called after commit)."""
    for change in changes:
        rows = WebSocketSession.objects.in_channel(change.channel)
        if change.exclude_session is not None:
            rows = rows.exclude(pk=change.exclude_session)
        telemetry.presence_event(change.event)
        payload = messaging.encode_message(event(change))
        tasks.send_or_enqueue(rows, payload, kind=telemetry.PRESENCE)
