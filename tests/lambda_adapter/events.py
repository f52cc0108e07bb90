"""WebSocket Lambda proxy events, shaped like the examples in AWS's documentation.

Only what AWS sends: the adapter must not depend on anything else being there.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping
from typing import Any

from tests.conftest import API_ID

REGION = "eu-west-1"
DOMAIN = f"{API_ID}.execute-api.{REGION}.amazonaws.com"
SOURCE_IP = "198.51.100.7"
BROWSER_AGENT = "Mozilla/5.0 (X11; Linux x86_64) Firefox/128.0"
ORIGIN = "https://app.example.com"


def _request_context(
    *, route_key: str, event_type: str, connection_id: str, api_id: str, **extra: Any
) -> dict[str, Any]:
    return {
        "routeKey": route_key,
        "eventType": event_type,
        "extendedRequestId": "ZzRmWFkAjoEFrXw=",
        "requestTime": "09/Feb/2026:18:11:43 +0000",
        "messageDirection": "IN",
        "stage": "production",
        "connectedAt": 1770660703419,
        "requestTimeEpoch": 1770660703420,
        "identity": {"sourceIp": SOURCE_IP, "userAgent": BROWSER_AGENT},
        "requestId": "ZzRmWFkAjoEFrXw=",
        "domainName": DOMAIN,
        "connectionId": connection_id,
        "apiId": api_id,
        **extra,
    }


def connect_event(
    *,
    connection_id: str,
    api_id: str = API_ID,
    headers: Mapping[str, str] | None = None,
    query: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    all_headers = {
        "Host": DOMAIN,
        "Origin": ORIGIN,
        "Sec-WebSocket-Extensions": "permessage-deflate; client_max_window_bits",
        "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ==",
        "Sec-WebSocket-Version": "13",
        "User-Agent": BROWSER_AGENT,
        "X-Amzn-Trace-Id": "Root=1-65c66adf-0123456789abcdef01234567",
        "X-Forwarded-For": SOURCE_IP,
        "X-Forwarded-Port": "443",
        "X-Forwarded-Proto": "https",
        **(headers or {}),
    }
    event: dict[str, Any] = {
        "headers": all_headers,
        "multiValueHeaders": {name: [value] for name, value in all_headers.items()},
        "requestContext": _request_context(
            route_key="$connect",
            event_type="CONNECT",
            connection_id=connection_id,
            api_id=api_id,
        ),
        "isBase64Encoded": False,
    }
    if query:
        event["queryStringParameters"] = dict(query)
        event["multiValueQueryStringParameters"] = {k: [v] for k, v in query.items()}
    return event


def message_event(
    *,
    connection_id: str,
    body: Mapping[str, Any] | str,
    route_key: str = "$default",
    api_id: str = API_ID,
    base64_encoded: bool = False,
) -> dict[str, Any]:
    text = json.dumps(body) if isinstance(body, Mapping) else body
    if base64_encoded:
        text = base64.b64encode(text.encode()).decode()
    return {
        "requestContext": _request_context(
            route_key=route_key,
            event_type="MESSAGE",
            connection_id=connection_id,
            api_id=api_id,
            messageId="ZzRmZf7GjoECFfQ=",
        ),
        "body": text,
        "isBase64Encoded": base64_encoded,
    }


def disconnect_event(*, connection_id: str, api_id: str = API_ID) -> dict[str, Any]:
    headers = {"Host": DOMAIN, "x-api-key": "", "X-Forwarded-For": "", "x-restapi": ""}
    return {
        "headers": headers,
        "multiValueHeaders": {name: [value] for name, value in headers.items()},
        "requestContext": _request_context(
            route_key="$disconnect",
            event_type="DISCONNECT",
            connection_id=connection_id,
            api_id=api_id,
            disconnectStatusCode=1001,
            disconnectReason="Going away",
        ),
        "isBase64Encoded": False,
    }
