"""What a channel name may look like, for $connect and ``change_channel`` alike."""

from __future__ import annotations

import re

from .conf import conf
from .exceptions import Refused
from .models import WebSocketSession

# The characters of a channel name (also checked in presence_channel_prefix).
CHANNEL_NAME_RE = re.compile(r"[A-Za-z0-9_-]+")


def validate_channel_name(value: object) -> str:
    """Return ``value`` if it is an acceptable channel name, else refuse with 400."""
    if not isinstance(value, str) or not value:
        raise Refused("Channel name must be a non-empty string.", reason="channel not a string")
    # The column's width bounds any setting: a longer value would fail the INSERT.
    column = WebSocketSession._meta.get_field("channel_name").max_length or 0
    limit = min(conf.max_channel_name_length, column)
    if len(value) > limit:
        raise Refused(
            f"Channel name longer than {limit} characters.",
            reason=f"channel name of {len(value)} characters",
        )
    if CHANNEL_NAME_RE.fullmatch(value) is None:
        raise Refused(
            "Channel name may only contain letters, digits, '_' and '-'.",
            reason=f"channel name {value[:40]!r} has other characters",
        )
    return value
