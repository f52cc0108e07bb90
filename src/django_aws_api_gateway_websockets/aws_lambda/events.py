"""A WebSocket Lambda (AWS_PROXY) event, read as the request HTTP_PROXY would send.

The request is built by ``wire``, the one definition of what the gateway sends,
so a view cannot tell a Lambda invocation from an HTTP integration's call.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from .. import wire

CONNECT = "CONNECT"
MESSAGE = "MESSAGE"
DISCONNECT = "DISCONNECT"

# The view's URL pattern is ``<slug:route>``.
_SLUG_RE = re.compile(r"[-a-zA-Z0-9_]+")
# A message must never reach the view's $connect or $disconnect branch, whatever
# its route key is called.
_NOT_MESSAGE_PATHS = frozenset({wire.CONNECT_PATH, wire.DISCONNECT_PATH})


class BadEvent(Exception):
    """The event is not a WebSocket event this adapter understands."""


@dataclass(frozen=True)
class LambdaRequest:
    request: wire.GatewayRequest
    # Last segment of the view's URL: connect, disconnect, default or a route key.
    route_path: str
    host: str


def _mapping(event: Mapping[str, Any], key: str) -> Mapping[str, Any]:
    value = event.get(key)
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise BadEvent(f"{key} is {type(value).__name__}, not an object")
    return value


def _text(data: Mapping[str, Any], key: str) -> str:
    value = data.get(key)
    if value is None:
        return ""
    if not isinstance(value, str):
        raise BadEvent(f"{key} is {type(value).__name__}, not a string")
    return value


def _joined(name: str, values: Any) -> str:
    if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
        raise BadEvent(f"multiValueHeaders[{name!r}] is not a list of strings")
    return wire.join_header_values(name, values)


def client_headers(event: Mapping[str, Any]) -> dict[str, str]:
    """The handshake's headers; ``multiValueHeaders`` keeps repeats ``headers`` drops."""
    single = _mapping(event, "headers")
    headers = {str(name): _text(single, name) for name in single}
    for name, values in _mapping(event, "multiValueHeaders").items():
        headers[str(name)] = _joined(str(name), values)
    # wire.connect_request drops a client's copy of any header the gateway sets.
    return headers


def query_string(event: Mapping[str, Any]) -> str:
    multi = _mapping(event, "multiValueQueryStringParameters")
    if multi:
        return urlencode(dict(multi), doseq=True)
    single = _mapping(event, "queryStringParameters")
    return urlencode({name: _text(single, name) for name in single})


def body_bytes(event: Mapping[str, Any]) -> bytes:
    body = _text(event, "body")
    if not event.get("isBase64Encoded"):
        return body.encode()
    try:
        return base64.b64decode(body, validate=True)
    except (binascii.Error, ValueError):
        raise BadEvent("body is marked isBase64Encoded but is not valid base64") from None


def message_path(route_key: str) -> str:
    """``$default`` -> ``default``, ``sendmessage`` -> ``sendmessage``.

    A route key that is no slug (``chat/send``) or that names the connect or
    disconnect path is served by ``default``: the view picks the handler from
    the body either way.
    """
    path = wire.integration_path(route_key)
    if _SLUG_RE.fullmatch(path) and path not in _NOT_MESSAGE_PATHS:
        return path
    return wire.DEFAULT_PATH


def read_event(
    event: Any, *, static_headers: Mapping[str, str], host: str | None = None
) -> LambdaRequest:
    """The ``wire`` request for ``event``, or ``BadEvent`` saying what is wrong."""
    if not isinstance(event, Mapping):
        raise BadEvent(f"the event is {type(event).__name__}, not an object")
    context = event.get("requestContext")
    if not isinstance(context, Mapping):
        raise BadEvent("no requestContext")
    identity = _mapping(context, "identity")
    common: wire.GatewayFields = {
        "connection_id": _text(context, "connectionId"),
        "api_id": _text(context, "apiId"),
        "source_ip": _text(identity, "sourceIp"),
        "static_headers": static_headers,
    }
    host = host or _text(context, "domainName")
    if not host:
        raise BadEvent("no requestContext.domainName")
    event_type = _text(context, "eventType")
    if event_type == CONNECT:
        request = wire.connect_request(
            client_headers=client_headers(event), query=query_string(event), **common
        )
        return LambdaRequest(request, wire.CONNECT_PATH, host)
    if event_type == MESSAGE:
        route_key = _text(context, "routeKey") or wire.DEFAULT_ROUTE
        request = wire.message_request(body=body_bytes(event), route_key=route_key, **common)
        return LambdaRequest(request, message_path(route_key), host)
    if event_type == DISCONNECT:
        return LambdaRequest(wire.disconnect_request(**common), wire.DISCONNECT_PATH, host)
    raise BadEvent(f"unknown eventType {event_type[:40]!r}")
