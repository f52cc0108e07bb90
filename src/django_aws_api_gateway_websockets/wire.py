"""The shape of the HTTP requests API Gateway's HTTP_PROXY integration sends.

This is the one definition of that shape. ``views`` is written against it, the
local gateway builds its requests with it, and ``testing`` hands it to users'
tests. It imports nothing from Django so that the local gateway can use it.

See docs/aws-behaviour.md: on every route API Gateway sends the gateway headers
below; on ``$connect`` the client's handshake headers and query string pass
through; on messages the body is the client's frame; on ``$disconnect`` the
body is empty. Our integrations map ``context.connectionId`` into the
``Connectionid`` header and may add the gateway secret as a static header.
"""

from __future__ import annotations

import base64
import re
import secrets
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import NotRequired, TypedDict, Unpack
from urllib.parse import urlencode

# Headers
CONNECTION_ID_HEADER = "Connectionid"
API_ID_HEADER = "X-Amzn-Apigateway-Api-Id"
GATEWAY_SECRET_HEADER = "X-Ws-Gateway-Secret"
TRACE_ID_HEADER = "X-Amzn-Trace-Id"
FORWARDED_FOR_HEADER = "X-Forwarded-For"
FORWARDED_PROTO_HEADER = "X-Forwarded-Proto"
FORWARDED_PORT_HEADER = "X-Forwarded-Port"
# Our integrations map context.identity.sourceIp here. Unlike X-Forwarded-For,
# which a client's own handshake header may precede, a mapped parameter is
# set by the gateway alone.
SOURCE_IP_HEADER = "X-Ws-Source-Ip"
USER_AGENT_HEADER = "User-Agent"
ORIGIN_HEADER = "Origin"

# Present on every request the gateway sends, whatever the route.
GATEWAY_HEADERS: tuple[str, ...] = (
    CONNECTION_ID_HEADER,
    API_ID_HEADER,
    FORWARDED_FOR_HEADER,
)

# Client handshake headers that describe the WebSocket connection itself, not
# the HTTP request to the integration; they are not passed through.
HOP_BY_HOP_HEADERS = frozenset(
    {
        "connection",
        "upgrade",
        "host",
        "content-length",
        "transfer-encoding",
        "keep-alive",
        "te",
        "trailer",
        "proxy-authorization",
        "proxy-connection",
    }
)

# Route keys and the last path segment of their integration URLs.
CONNECT_ROUTE = "$connect"
DISCONNECT_ROUTE = "$disconnect"
DEFAULT_ROUTE = "$default"
CONNECT_PATH = "connect"
DISCONNECT_PATH = "disconnect"
DEFAULT_PATH = "default"

# The stage of a gateway whose record names none (our default: AWS has none).
# Provisioning deploys to it, sending addresses it, the local gateway serves it.
DEFAULT_STAGE_NAME = "production"

# Query string parameters the app reads on $connect.
CHANNEL_PARAM = "channel"
TOKEN_PARAM = "ws_token"
# A JWT from a client that cannot send headers (a browser): docs/authentication.md.
ACCESS_TOKEN_PARAM = "access_token"
AUTHORIZATION_HEADER = "Authorization"
BEARER_PREFIX = "Bearer "

# API Gateway quotas (docs/aws-behaviour.md, "Quotas").
MAX_PAYLOAD_BYTES = 128 * 1024
MAX_FRAME_BYTES = 32 * 1024
IDLE_TIMEOUT_SECONDS = 10 * 60
MAX_CONNECTION_DURATION_SECONDS = 2 * 60 * 60
INTEGRATION_TIMEOUT_MIN_MS = 50
INTEGRATION_TIMEOUT_MAX_MS = 29_000

_CONNECTION_ID_RE = re.compile(r"[A-Za-z0-9_=+/-]{1,128}")
_API_ID_RE = re.compile(r"[A-Za-z0-9_-]{1,64}")


def join_header_values(name: str, values: list[str]) -> str:
    """One header line from repeated values: ``Cookie`` joins with "; ", others with ", "."""
    return ("; " if name.lower() == "cookie" else ", ").join(values)


def integration_path(route_key: str) -> str:
    """Last URL segment that serves ``route_key``: ``$connect`` -> ``connect``."""
    return route_key.lstrip("$")


def is_valid_connection_id(value: str | None) -> bool:
    return bool(value) and _CONNECTION_ID_RE.fullmatch(value or "") is not None


def is_valid_api_id(value: str | None) -> bool:
    return bool(value) and _API_ID_RE.fullmatch(value or "") is not None


def new_connection_id() -> str:
    """A connection id shaped like AWS's (16 characters, base64 of 11 bytes).

    ``+`` and ``/`` are avoided so the id can sit in a URL path unquoted.
    """
    encoded = base64.b64encode(secrets.token_bytes(11)).decode()
    return encoded.replace("+", "A").replace("/", "B")


def new_trace_id() -> str:
    return f"Root=1-{int(time.time()):08x}-{secrets.token_hex(12)}"


def gateway_user_agent(api_id: str) -> str:
    """User-Agent seen on message and $disconnect calls (observed, undocumented)."""
    return f"AmazonAPIGateway_{api_id}"


@dataclass(frozen=True)
class GatewayRequest:
    """One POST from the gateway to an integration URL."""

    route_key: str
    headers: dict[str, str]
    body: bytes = b""
    query_string: str = ""
    method: str = field(default="POST")

    def url(self, integration_url: str) -> str:
        return f"{integration_url}?{self.query_string}" if self.query_string else integration_url


class GatewayFields(TypedDict):
    """What every request of one connection carries besides its route and body.

    The keyword arguments all three request builders take: the connection's
    ids, where the gateway says the client is, and the integration's static
    headers (the gateway secret).
    """

    connection_id: str
    api_id: str
    source_ip: NotRequired[str]  # default 127.0.0.1
    forwarded_proto: NotRequired[str]  # default https
    forwarded_port: NotRequired[int]  # default 443
    static_headers: NotRequired[Mapping[str, str] | None]


def _gateway_headers(
    *,
    connection_id: str,
    api_id: str,
    source_ip: str = "127.0.0.1",
    forwarded_proto: str = "https",
    forwarded_port: int = 443,
    static_headers: Mapping[str, str] | None = None,
) -> dict[str, str]:
    headers = {
        CONNECTION_ID_HEADER: connection_id,
        API_ID_HEADER: api_id,
        FORWARDED_FOR_HEADER: source_ip,
        FORWARDED_PROTO_HEADER: forwarded_proto,
        FORWARDED_PORT_HEADER: str(forwarded_port),
        SOURCE_IP_HEADER: source_ip,
        TRACE_ID_HEADER: new_trace_id(),
    }
    headers.update(static_headers or {})
    return headers


def connect_request(
    *,
    client_headers: Mapping[str, str] | None = None,
    query: Mapping[str, str] | str | None = None,
    **fields: Unpack[GatewayFields],
) -> GatewayRequest:
    """The ``$connect`` request: the client's handshake headers pass through.

    Headers the gateway sets itself replace a client's copy in any letter case:
    otherwise a browser could put its own ``x-forwarded-for`` (or a guessed
    secret) next to the gateway's, and a server that joins repeated headers
    would hand Django both.
    """
    gateway_headers = _gateway_headers(**fields)
    dropped = HOP_BY_HOP_HEADERS | {name.lower() for name in gateway_headers}
    headers = {
        name: value for name, value in (client_headers or {}).items() if name.lower() not in dropped
    }
    headers.update(gateway_headers)
    query_string = query if isinstance(query, str) else urlencode(query or {})
    return GatewayRequest(CONNECT_ROUTE, headers, b"", query_string)


def message_request(
    *,
    body: bytes | str,
    route_key: str = DEFAULT_ROUTE,
    **fields: Unpack[GatewayFields],
) -> GatewayRequest:
    """A message: the body is the client's frame, unchanged."""
    headers = _gateway_headers(**fields)
    headers[USER_AGENT_HEADER] = gateway_user_agent(fields["api_id"])
    data = body.encode() if isinstance(body, str) else body
    return GatewayRequest(route_key, headers, data)


def disconnect_request(**fields: Unpack[GatewayFields]) -> GatewayRequest:
    """``$disconnect``: best effort, empty body, otherwise shaped like a message."""
    return message_request(body=b"", route_key=DISCONNECT_ROUTE, **fields)
