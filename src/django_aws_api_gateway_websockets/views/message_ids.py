"""The client's id of a message: read it, and acknowledge the message under it.

The shipped browser client puts a fresh id in every message it sends and the
same id in a retry, so that a handler can recognise a message it already
handled (see docs/delivery.md). The view answers a message that carries an id
with ``{"ack": id}`` (or adds ``ack`` to a dict its handler returns), which on a
two-way route reaches the client and tells it the message was handled.
"""

from __future__ import annotations

import re
from typing import Any

from ..exceptions import Refused

MESSAGE_ID_MAX_LENGTH = 64
ACK_KEY = "ack"
# A refusal (4xx) of a message that carried an id names it under this key, so the
# client learns at once which message failed instead of waiting for its ack.
REFUSED_KEY = "refused"
_MESSAGE_ID = re.compile(rf"[A-Za-z0-9_-]{{1,{MESSAGE_ID_MAX_LENGTH}}}")


def read_message_id(body: dict[str, Any], key: str) -> str | None:
    """The id under ``key``, None when absent; 400 when it is not a short token."""
    if key not in body:
        return None
    value = body[key]
    if not isinstance(value, str) or not _MESSAGE_ID.fullmatch(value):
        raise Refused(
            f"{key} must be 1 to {MESSAGE_ID_MAX_LENGTH} letters, digits, '-' or '_'.",
            reason=f"bad {key} {str(value)[:80]!r}",
        )
    return value


def acknowledged(result: Any, message_id: str | None) -> Any:
    """A handler's result with the acknowledgement of ``message_id`` in it.

    Other results (a list, a str, an HttpResponse) are the application's own
    answer and pass unchanged; the client then learns nothing of that message.
    """
    if message_id is None:
        return result
    if result is None:
        return {ACK_KEY: message_id}
    if isinstance(result, dict) and ACK_KEY not in result:
        return {**result, ACK_KEY: message_id}
    return result
