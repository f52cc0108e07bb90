"""The frames the browser receives from the package, declared once.

``wire`` is the shape of what API Gateway sends Django; this module is the
shape of what the package sends the browser: every answer, event and channel
message ``WebSocketView``, ``publish``, presence and history produce is built
here. The browser client (websocket-client.js) holds the same names and limits
in its ``PROTOCOL`` block, which a test keeps equal to ``client_constants()``;
docs/protocol.md lists the frames, and a test keeps it equal to ``FRAMES``.

Every frame of the package is a JSON object whose ``FRAME_KEY`` names it:
``{"$ws": "subscribed", "channel": "room-7"}``. An application's own messages
(``send_message(dict)``, a handler's reply) never get that key, so a client
tells the two apart by one key instead of guessing from the others; an app's
``{"type": "subscribed"}`` or ``{"channel", "seq", "data"}`` is its own message.

Like ``wire`` it imports nothing from Django.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, TypeGuard

# The reserved key: present, with a frame's name as its value, on the
# package's frames only. "$" keeps it out of the way of applications' keys.
FRAME_KEY = "$ws"


@dataclass(frozen=True)
class Frame:
    """One kind of frame: its name (the value of FRAME_KEY) and its other keys."""

    name: str
    fields: tuple[str, ...]
    optional: tuple[str, ...] = ()
    meaning: str = ""


# Keys of the answers to a client's message.
ACK_FIELD = "ack"
REFUSED_FIELD = "refused"
REPLY_FIELD = "reply"

ACK = Frame(
    "ack",
    (ACK_FIELD,),
    (REPLY_FIELD,),
    "the message with this client_message_id was handled; `reply` is the handler's "
    "dict or list, exactly as it returned it",
)
ERROR = Frame(
    "error",
    ("error",),
    (REFUSED_FIELD,),
    "the message was refused (4xx) or its handler failed (500); `refused` names the "
    "message when its id could be read",
)
PUBLISH = Frame(
    "publish",
    ("channel", "seq", "data"),
    (),
    "a message published to a channel: `seq` rises by one per channel",
)
SUBSCRIBED = Frame(
    "subscribed",
    ("channel",),
    ("members", ACK_FIELD),
    "answer to `subscribe`; `members` on a presence channel",
)
UNSUBSCRIBED = Frame("unsubscribed", ("channel",), (ACK_FIELD,), "answer to `unsubscribe`")
CHANNEL_CHANGED = Frame(
    "channel_changed",
    ("channel", "previous_channel"),
    (ACK_FIELD,),
    "answer to `change_channel`",
)
RESUMED = Frame(
    "resumed",
    ("channel", "last_seq", "more", "messages"),
    (ACK_FIELD,),
    "answer to `resume`: the missed `publish` frames in seq order; `more` when there are others",
)
RESUME_FAILED = Frame(
    "resume_failed",
    ("channel", "after", "last_seq"),
    (ACK_FIELD,),
    "answer to `resume` when the history no longer reaches back to `after`",
)
MEMBER_ADDED = Frame(
    "member_added",
    ("channel", "member"),
    (),
    "a user joined a presence channel (`member`: `user_id`, `info`)",
)
MEMBER_REMOVED = Frame(
    "member_removed",
    ("channel", "member"),
    (),
    "a user's last connection left a presence channel (`member`: `user_id`)",
)
REVOKED = Frame(
    "revoked",
    ("channel",),
    (),
    "the connection was taken out of the channel by the server",
)

FRAMES: dict[str, Frame] = {
    frame.name: frame
    for frame in (
        ACK,
        ERROR,
        PUBLISH,
        SUBSCRIBED,
        UNSUBSCRIBED,
        CHANNEL_CHANGED,
        RESUMED,
        RESUME_FAILED,
        MEMBER_ADDED,
        MEMBER_REMOVED,
        REVOKED,
    )
}

# The client's id of a message (docs/delivery.md): the default body key
# (WebSocketView.message_id_key) and what a valid id is.
MESSAGE_ID_KEY = "client_message_id"
MESSAGE_ID_MAX_LENGTH = 64
MESSAGE_ID_PATTERN = rf"[A-Za-z0-9_-]{{1,{MESSAGE_ID_MAX_LENGTH}}}"
_MESSAGE_ID = re.compile(MESSAGE_ID_PATTERN)

# The body key a client names a handler with (WebSocketView.handler_selection_key).
HANDLER_KEY = "handler"

_COMPACT = (",", ":")


def is_message_id(value: object) -> TypeGuard[str]:
    return isinstance(value, str) and _MESSAGE_ID.fullmatch(value) is not None


def is_frame(value: object) -> bool:
    """Was ``value`` built here (rather than being an application's message)?"""
    return isinstance(value, dict) and FRAME_KEY in value


def _frame(frame: Frame, **fields: Any) -> dict[str, Any]:
    return {FRAME_KEY: frame.name, **fields}


# Answers to a client's message


def ack(message_id: str) -> dict[str, Any]:
    return _frame(ACK, ack=message_id)


def reply(message_id: str, answer: dict[str, Any] | list[Any]) -> dict[str, Any]:
    """The acknowledgement of a message whose handler returned ``answer``, carrying it unchanged."""
    return _frame(ACK, ack=message_id, reply=answer)


def with_ack(frame: dict[str, Any], message_id: str) -> dict[str, Any]:
    """A frame of ours that answers a message, naming that message."""
    return {**frame, ACK_FIELD: message_id}


def error(message: str, *, refused: str | None = None) -> dict[str, Any]:
    if refused is None:
        return _frame(ERROR, error=message)
    return _frame(ERROR, error=message, refused=refused)


def subscribed(channel: str, members: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    if members is None:
        return _frame(SUBSCRIBED, channel=channel)
    return _frame(SUBSCRIBED, channel=channel, members=members)


def unsubscribed(channel: str) -> dict[str, Any]:
    return _frame(UNSUBSCRIBED, channel=channel)


def channel_changed(channel: str, previous_channel: str) -> dict[str, Any]:
    return _frame(CHANNEL_CHANGED, channel=channel, previous_channel=previous_channel)


# Channel messages and history. These are JSON text, not dicts: a message's data
# is stored as compact JSON and spliced in, never decoded and encoded again.


def publish_text(channel: str, seq: int, data_json: str) -> str:
    """``{"$ws": "publish", "channel": channel, "seq": seq, "data": <data_json>}``."""
    head = json.dumps(_frame(PUBLISH, channel=channel, seq=seq), separators=_COMPACT)
    return f'{head[:-1]},"data":{data_json}}}'


def resumed_text(
    channel: str,
    *,
    last_seq: int,
    more: bool,
    messages: Iterable[str],
    message_id: str | None = None,
) -> str:
    """The ``resumed`` answer; ``messages`` are ``publish_text`` frames, spliced in as a list."""
    fields = _frame(RESUMED, channel=channel, last_seq=last_seq, more=more)
    if message_id is not None:
        fields[ACK_FIELD] = message_id
    head = json.dumps(fields, separators=_COMPACT)
    return f'{head[:-1]},"messages":[{",".join(messages)}]}}'


def resume_failed_text(
    channel: str, *, after: int, last_seq: int, message_id: str | None = None
) -> str:
    fields = _frame(RESUME_FAILED, channel=channel, after=after, last_seq=last_seq)
    if message_id is not None:
        fields[ACK_FIELD] = message_id
    return json.dumps(fields, separators=_COMPACT)


# Events the server sends on its own


def member(user_id: Any, info: Any) -> dict[str, Any]:
    return {"user_id": user_id, "info": info}


def member_added(channel: str, user_id: Any, info: Any) -> dict[str, Any]:
    return _frame(MEMBER_ADDED, channel=channel, member=member(user_id, info))


def member_removed(channel: str, user_id: Any) -> dict[str, Any]:
    return _frame(MEMBER_REMOVED, channel=channel, member={"user_id": user_id})


def revoked(channel: str) -> dict[str, Any]:
    return _frame(REVOKED, channel=channel)


def client_constants() -> Mapping[str, Any]:
    """What the browser client must agree on: its ``PROTOCOL`` block holds exactly this."""
    return {
        "frame_key": FRAME_KEY,
        "frames": sorted(FRAMES),
        "handler_key": HANDLER_KEY,
        "message_id_key": MESSAGE_ID_KEY,
        "message_id_max_length": MESSAGE_ID_MAX_LENGTH,
        "message_id_pattern": f"^{MESSAGE_ID_PATTERN}$",
    }
