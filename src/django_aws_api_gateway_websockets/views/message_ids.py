"""The client's id of a message: read it, and acknowledge the message under it.

The shipped browser client puts a fresh id in every message it sends and the
same id in a retry, so that a handler can recognise a message it already
handled (see docs/delivery.md). The view answers a message that carries an id
with an ``ack`` frame (``protocol.ack``/``protocol.reply``), which on a two-way
route reaches the client and tells it the message was handled.
"""

from __future__ import annotations

from typing import Any

from .. import protocol
from ..exceptions import Refused


def read_message_id(body: dict[str, Any], key: str) -> str | None:
    """The id under ``key``, None when absent; 400 when it is not a short token."""
    if key not in body:
        return None
    value = body[key]
    if not protocol.is_message_id(value):
        raise Refused(
            f"{key} must be 1 to {protocol.MESSAGE_ID_MAX_LENGTH} letters, digits, '-' or '_'.",
            reason=f"bad {key} {str(value)[:80]!r}",
        )
    return value


def acknowledged(result: Any, message_id: str | None) -> Any:
    """A handler's result as the answer that acknowledges ``message_id``.

    None becomes a bare ``ack``; a frame of the package's own (``subscribed``...)
    gets the ``ack`` key; an application's dict or list travels unchanged as the
    ``reply`` of an ``ack``, so that the client can hand it on exactly as it was.
    Other results (a str, an HttpResponse) are the application's own answer and
    pass unchanged; the client then learns nothing of that message.
    """
    if message_id is None:
        return result
    if result is None:
        return protocol.ack(message_id)
    if protocol.is_frame(result):
        return protocol.with_ack(result, message_id)
    if isinstance(result, dict | list):
        return protocol.reply(message_id, result)
    return result
