"""The pieces of a message event that are not decisions: the body and the row."""

from __future__ import annotations

import json
from typing import Any

from django.core.exceptions import BadRequest, RequestDataTooBig, SuspiciousOperation
from django.http import HttpRequest

from ..exceptions import Refused
from ..models import WebSocketSession


def _too_large(limit: int, size: object) -> Refused:
    return Refused(
        f"Message larger than {limit} bytes.", 413, reason=f"body of {size} bytes > {limit}"
    )


def parse_query(request: HttpRequest) -> None:
    """Parse the query string now: a hostile one is a 400 here, not an error later.

    Django parses ``request.GET`` on first use, and refuses more than
    ``DATA_UPLOAD_MAX_NUMBER_FIELDS`` fields (``TooManyFieldsSent``) or other
    malformed input there: in a hook, or in ``AdminEmailHandler`` formatting
    the request, which raises it again.
    """
    try:
        request.GET  # noqa: B018 (parsed on first access)
    except (SuspiciousOperation, BadRequest) as error:
        raise Refused(
            "Invalid query string.", reason=f"query string: {type(error).__name__}: {error}"
        ) from None


def parse_body(request: HttpRequest, limit: int) -> dict[str, Any]:
    """The message as a JSON object; 413 when too large, 400 when not an object."""
    declared = request.META.get("CONTENT_LENGTH") or "0"
    try:
        length = int(declared)
    except ValueError:
        length = -1
    if length < 0:
        raise Refused("Invalid Content-Length.", reason=f"Content-Length {declared[:40]!r}")
    # Checked before reading, so an oversized body is never pulled into memory
    # (Django reads no more than Content-Length).
    if length > limit:
        raise _too_large(limit, length)
    try:
        raw = request.body
    except RequestDataTooBig:
        raise _too_large(limit, "more than DATA_UPLOAD_MAX_MEMORY_SIZE") from None
    try:
        data = json.loads(raw)
    except (ValueError, RecursionError):
        raise Refused("Message is not valid JSON.", reason="body is not JSON") from None
    if not isinstance(data, dict):
        raise Refused(
            "Message must be a JSON object.", reason=f"body is a JSON {type(data).__name__}"
        )
    return data


def load_session(connection_id: str) -> WebSocketSession:
    """The connection's row with its user, in one query.

    Not joined with its gateway: the request's api id already identified the
    gateway (from a per-process cache), and the join doubles the cost of
    building and running this, the hottest query of the app.
    """
    try:
        session = WebSocketSession.objects.select_related("user").get(connection_id=connection_id)
    except WebSocketSession.DoesNotExist:
        raise Refused(
            "Unknown connection.", 404, reason="no session for this connection id"
        ) from None
    if not session.connected:
        raise Refused("Connection closed.", 410, reason="session already closed")
    return session
