"""Exceptions that become an answer and one log line instead of Django's 500 page."""

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
