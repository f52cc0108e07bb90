"""Exceptions that become an answer and one log line instead of Django's 500 page.

``Refused`` and its subclasses belong to the views: they carry an HTTP status.
The services below them (channels, subscriptions) raise ``ChannelError``s
instead, plain ``ValueError``s that know nothing of HTTP; the view answers
each with a 4xx (``views.responses.refusal_for``; docs/views.md, "Errors in
your code").
"""

from __future__ import annotations


class Refused(Exception):
    """A request the app refuses: ``status`` and ``message`` become the JSON answer.

    ``reason`` is what the log line says; it may carry details (an IP, a key)
    that the client should not see.
    """

    default_status = 400

    def __init__(
        self,
        message: str,
        status: int | None = None,
        *,
        reason: str = "",
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.status = self.default_status if status is None else status
        self.reason = reason or message
        self.headers = headers or {}


class DenyConnection(Refused):
    """Raise from ``check_connect`` (or any handler) to refuse with a 4xx.

    >>> raise DenyConnection("Not on a weekend", status=403)
    """

    default_status = 403


class Misconfigured(Refused):
    """The project's configuration (a record, a setting), not the request, is wrong.

    Answered 500 with ``message`` and logged as an error, so that it is fixed
    rather than retried.
    """

    default_status = 500


class ChannelError(ValueError):
    """A service refused a channel request: ``message`` for the client, ``reason`` for the log.

    A ``ValueError`` free of HTTP; ``WebSocketView`` answers it 400 with
    ``message``, as it answers a ``Refused``.
    """

    def __init__(self, message: str, *, reason: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.reason = reason or message


class InvalidChannelName(ChannelError):
    """A name no channel can have (``channels.validate_channel_name``)."""


class TooManyChannels(ChannelError):
    """Joining would put a connection in more than ``max_channels_per_connection`` channels."""
