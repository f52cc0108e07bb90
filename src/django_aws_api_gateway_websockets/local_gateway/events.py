"""One log line per gateway event; bodies only in verbose mode."""

from __future__ import annotations

import logging
from urllib.parse import parse_qsl, urlencode

from .. import wire
from ..log_context import get_logger

LOGGER_NAME = "django_aws_api_gateway_websockets.local_gateway"
# Verbose lines show at most this much of a body, so a 128 KB message stays readable.
MAX_LOGGED_BODY_CHARS = 2000
# Query parameters whose values are credentials: logged as "***" even in verbose mode.
# A presigned URL (AWS_IAM) can be replayed until it expires: its signature too.
SECRET_QUERY_PARAMS = frozenset(
    {wire.TOKEN_PARAM, wire.ACCESS_TOKEN_PARAM, "X-Amz-Signature", "X-Amz-Security-Token"}
)

logger = get_logger(LOGGER_NAME)


class EventLog:
    def __init__(self, *, verbose: bool, api_id: str | None = None) -> None:
        self.verbose = verbose
        self.api_id = api_id

    def info(self, event: str, body: bytes | str | None = None, **fields: object) -> None:
        self._log(logging.INFO, event, body, fields)

    def warning(self, event: str, body: bytes | str | None = None, **fields: object) -> None:
        self._log(logging.WARNING, event, body, fields)

    def _log(
        self, level: int, event: str, body: bytes | str | None, fields: dict[str, object]
    ) -> None:
        if not logger.isEnabledFor(level):
            return
        parts = [event, *(f"{name}={value}" for name, value in fields.items() if value != "")]
        if self.verbose and body is not None:
            parts.append(f"body={_shorten(body)!r}")
        # The structured fields of docs/logging.md: the event's connection and route.
        extra = {
            "connection_id": str(fields["id"]) if fields.get("id") else None,
            "route": str(fields["route"]) if fields.get("route") else None,
            "gateway": self.api_id,
        }
        logger.log(level, " ".join(parts), extra=extra)


def _shorten(body: bytes | str) -> str:
    text = body.decode(errors="backslashreplace") if isinstance(body, bytes) else body
    if len(text) <= MAX_LOGGED_BODY_CHARS:
        return text
    return text[:MAX_LOGGED_BODY_CHARS] + "..."


def redacted_query(query_string: str) -> str:
    """``query_string`` with credential values replaced, for log lines."""
    pairs = parse_qsl(query_string, keep_blank_values=True)
    if not any(name in SECRET_QUERY_PARAMS for name, _ in pairs):
        return query_string
    return urlencode(
        [(name, "***" if name in SECRET_QUERY_PARAMS else value) for name, value in pairs]
    )
