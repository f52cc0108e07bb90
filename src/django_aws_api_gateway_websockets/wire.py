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
from collections.abc import Mapping, Sequence
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
    authorizer_context: Mapping[str, str] | None = None,
    **fields: Unpack[GatewayFields],
) -> GatewayRequest:
    """The ``$connect`` request: the client's handshake headers pass through.

    Headers the gateway sets itself replace a client's copy in any letter case:
    otherwise a browser could put its own ``x-forwarded-for`` (or a guessed
    secret) next to the gateway's, and a server that joins repeated headers
    would hand Django both. ``authorizer_context``: what ``authorizer_headers``
    made of an authorizer's context; a client's own header of that family is
    never passed on.
    """
    gateway_headers = _gateway_headers(**fields)
    gateway_headers.update(authorizer_context or {})
    dropped = HOP_BY_HOP_HEADERS | {name.lower() for name in gateway_headers}
    headers = {
        name: value
        for name, value in (client_headers or {}).items()
        if name.lower() not in dropped and not is_authorizer_header(name)
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


# $connect authorizers (docs/authentication.md). API Gateway runs a Lambda
# REQUEST authorizer (or checks a SigV4 signature, AWS_IAM) before $connect
# reaches the integration; an Allow's ``context`` reaches the integration only
# through request parameter mapping: ``integration.request.header.<name>`` =
# ``context.authorizer.<key>``. Our integrations map each key the gateway record
# names to the header ``X-Ws-Authorizer-<key>``.
AUTHORIZER_HEADER_PREFIX = "X-Ws-Authorizer-"
# Lowercase, digits and "_": header names lose their case, and servers (nginx,
# Django's runserver) drop headers with "_", so "_" travels as "-".
_AUTHORIZER_KEY_RE = re.compile(r"[a-z][a-z0-9_]{0,63}")
AUTHORIZER_UNAUTHORIZED = "Unauthorized"
# Identity sources an authorizer may name, and the part of the handshake each reads.
IDENTITY_HEADER_PREFIX = "route.request.header."
IDENTITY_QUERY_PREFIX = "route.request.querystring."


def is_valid_authorizer_key(key: str) -> bool:
    return _AUTHORIZER_KEY_RE.fullmatch(key) is not None


def authorizer_header(key: str) -> str:
    if not is_valid_authorizer_key(key):
        raise ValueError(f"authorizer context key {key!r}: use lowercase letters, digits and _")
    return AUTHORIZER_HEADER_PREFIX + "-".join(part.capitalize() for part in key.split("_"))


def is_authorizer_header(name: str) -> bool:
    return name.lower().startswith(AUTHORIZER_HEADER_PREFIX.lower())


def authorizer_request_parameters(keys: Sequence[str]) -> dict[str, str]:
    """The $connect integration's request parameters that carry ``keys`` of the context."""
    return {
        f"integration.request.header.{authorizer_header(key)}": f"context.authorizer.{key}"
        for key in keys
    }


def _context_value(value: object) -> str:
    # API Gateway passes strings, numbers and booleans; JSON spells booleans lowercase.
    return str(value).lower() if isinstance(value, bool) else str(value)


def authorizer_headers(context: Mapping[str, object], keys: Sequence[str]) -> dict[str, str]:
    """What the mapping sends for an authorizer's ``context``: the mapped keys it has."""
    return {
        authorizer_header(key): _context_value(context[key])
        for key in keys
        if key in context and isinstance(context[key], str | int | float | bool)
    }


def read_authorizer_context(headers: Mapping[str, str]) -> dict[str, str]:
    """The context keys a request carries: ``user_id`` from ``X-Ws-Authorizer-User-Id``."""
    prefix = len(AUTHORIZER_HEADER_PREFIX)
    return {
        name[prefix:].lower().replace("-", "_"): value
        for name, value in headers.items()
        if is_authorizer_header(name)
    }


def header_value(headers: Mapping[str, str], name: str) -> str:
    """A header of a plain mapping, in any letter case ("" when absent)."""
    wanted = name.lower()
    return next((value for key, value in headers.items() if key.lower() == wanted), "")


def identity_source_value(
    source: str, headers: Mapping[str, str], query: Mapping[str, str]
) -> str | None:
    """The value of one identity source in a handshake (header names in any case)."""
    if source.startswith(IDENTITY_HEADER_PREFIX):
        return header_value(headers, source[len(IDENTITY_HEADER_PREFIX) :]) or None
    if source.startswith(IDENTITY_QUERY_PREFIX):
        return query.get(source[len(IDENTITY_QUERY_PREFIX) :]) or None
    raise ValueError(
        f"identity source {source!r}: use {IDENTITY_HEADER_PREFIX}<name> or "
        f"{IDENTITY_QUERY_PREFIX}<name>"
    )


def connect_method_arn(*, region: str, account: str, api_id: str, stage: str) -> str:
    return f"arn:aws:execute-api:{region}:{account}:{api_id}/{stage}/{CONNECT_ROUTE}"


def authorizer_event(
    *,
    method_arn: str,
    headers: Mapping[str, str],
    query: Mapping[str, str],
    connection_id: str,
    api_id: str,
    stage: str,
    source_ip: str,
    domain_name: str,
    request_id: str,
) -> dict[str, object]:
    """The event a Lambda REQUEST authorizer of a WebSocket API receives on $connect."""
    return {
        "type": "REQUEST",
        "methodArn": method_arn,
        "headers": dict(headers),
        "multiValueHeaders": {name: [value] for name, value in headers.items()},
        "queryStringParameters": dict(query),
        "multiValueQueryStringParameters": {name: [value] for name, value in query.items()},
        "stageVariables": {},
        "requestContext": {
            "routeKey": CONNECT_ROUTE,
            "eventType": "CONNECT",
            "connectionId": connection_id,
            "apiId": api_id,
            "stage": stage,
            "domainName": domain_name,
            "requestId": request_id,
            "identity": {
                "sourceIp": source_ip,
                "userAgent": header_value(headers, USER_AGENT_HEADER),
            },
        },
    }


def authorizer_policy(
    *, principal_id: str, allow: bool, resource: str, context: Mapping[str, object] | None = None
) -> dict[str, object]:
    """The answer of a REQUEST authorizer: an IAM policy on ``$connect``, and the context."""
    answer: dict[str, object] = {
        "principalId": principal_id,
        "policyDocument": {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Action": "execute-api:Invoke",
                    "Effect": "Allow" if allow else "Deny",
                    "Resource": resource,
                }
            ],
        },
    }
    if context:
        answer["context"] = dict(context)
    return answer


def policy_allows(answer: object) -> bool:
    """Does an authorizer's answer allow the connect? Any Deny, or no Allow, refuses it.

    Resources are not matched: a policy the gateway asks about is always for
    the ``$connect`` of the API being called.
    """
    if not isinstance(answer, Mapping):
        return False
    document = answer.get("policyDocument")
    statements = document.get("Statement") if isinstance(document, Mapping) else None
    if isinstance(statements, Mapping):
        statements = [statements]
    if not isinstance(statements, list) or not statements:
        return False
    effects = [s.get("Effect") for s in statements if isinstance(s, Mapping)]
    return "Deny" not in effects and "Allow" in effects
