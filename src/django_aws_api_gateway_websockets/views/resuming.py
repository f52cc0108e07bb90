"""The parts of a ``resume`` message that are not the read: its fields, and who may ask."""

from __future__ import annotations

from typing import Any

from ..channels import validate_channel_name
from ..exceptions import Refused
from ..history import MAX_SEQ
from ..models import WebSocketSession


def parse_resume(body: dict[str, Any]) -> tuple[str, int]:
    """The channel and ``after`` of a resume message; 400 when either is wrong."""
    channel = validate_channel_name(body.get("channel"))
    after = body.get("after")
    # JSON true is a Python int; so is a number too large for the seq column.
    if isinstance(after, bool) or not isinstance(after, int) or not 0 <= after <= MAX_SEQ:
        raise Refused(
            '"after" must be a non-negative integer (the last seq received, 0 for none).',
            reason=f"resume after {str(after)[:40]!r}",
        )
    return channel, after


def check_subscribed(session: WebSocketSession, channel: str) -> None:
    """403 unless the connection is in ``channel`` (its history is for subscribers only)."""
    if not WebSocketSession.objects.in_channel(channel).filter(pk=session.pk).exists():
        raise Refused(
            "Not subscribed to this channel.", 403, reason=f"resume of {channel!r} unsubscribed"
        )
