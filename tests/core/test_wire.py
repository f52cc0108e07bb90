"""The one definition of what API Gateway's HTTP_PROXY integrations send."""

from __future__ import annotations

import pytest

from django_aws_api_gateway_websockets import wire


def test_connect_passes_the_handshake_through_with_the_gateway_headers() -> None:
    request = wire.connect_request(
        connection_id="abcDEF123=",
        api_id="api123",
        client_headers={
            "Cookie": "sessionid=s",
            "Origin": "https://app.example.com",
            "Sec-WebSocket-Key": "k",
            "Upgrade": "websocket",
            "Connection": "Upgrade",
            "Host": "ws.example.com",
        },
        query={"channel": "lobby", "ws_token": "t"},
        source_ip="203.0.113.9",
        static_headers={wire.GATEWAY_SECRET_HEADER: "s3cret"},
    )
    headers = request.headers
    assert (request.route_key, request.body, request.method) == ("$connect", b"", "POST")
    assert request.query_string == "channel=lobby&ws_token=t"
    assert headers["Cookie"] == "sessionid=s" and headers["Sec-WebSocket-Key"] == "k"
    assert not {"Upgrade", "Connection", "Host"} & set(headers)
    assert headers[wire.CONNECTION_ID_HEADER] == "abcDEF123="
    assert headers[wire.API_ID_HEADER] == "api123"
    assert headers[wire.FORWARDED_FOR_HEADER] == "203.0.113.9"
    assert headers[wire.GATEWAY_SECRET_HEADER] == "s3cret"
    assert headers[wire.TRACE_ID_HEADER].startswith("Root=1-")
    assert request.url("https://app.example.com/ws/connect") == (
        "https://app.example.com/ws/connect?channel=lobby&ws_token=t"
    )


@pytest.mark.parametrize(
    "forged",
    [
        "x-forwarded-for",
        "X-FORWARDED-FOR",
        "connectionid",
        "x-amzn-apigateway-api-id",
        "x-ws-gateway-secret",
    ],
)
def test_a_client_cannot_add_a_header_the_gateway_sets(forged: str) -> None:
    request = wire.connect_request(
        connection_id="real",
        api_id="realapi",
        client_headers={forged: "forged"},
        static_headers={wire.GATEWAY_SECRET_HEADER: "real-secret"},
    )
    lowered = {}
    for name, value in request.headers.items():
        assert name.lower() not in lowered, f"{name} appears twice"
        lowered[name.lower()] = value
    assert "forged" not in lowered.values()


def test_messages_and_disconnects_carry_the_gateway_headers_only() -> None:
    message = wire.message_request(
        connection_id="c1", api_id="api1", body='{"a": 1}', route_key="chat"
    )
    disconnect = wire.disconnect_request(connection_id="c1", api_id="api1")
    assert (message.route_key, message.body) == ("chat", b'{"a": 1}')
    assert (disconnect.route_key, disconnect.body) == ("$disconnect", b"")
    for request in (message, disconnect):
        assert request.headers[wire.USER_AGENT_HEADER] == "AmazonAPIGateway_api1"
        assert request.headers[wire.CONNECTION_ID_HEADER] == "c1"
        assert request.query_string == ""


def test_generated_ids_are_valid_and_url_safe() -> None:
    ids = {wire.new_connection_id() for _ in range(500)}
    assert len(ids) == 500
    for connection_id in ids:
        assert wire.is_valid_connection_id(connection_id)
        assert len(connection_id) == 16 and "+" not in connection_id and "/" not in connection_id


@pytest.mark.parametrize("value", ["", None, "a" * 129, "has space", "semi;colon", "é"])
def test_invalid_connection_ids(value: str | None) -> None:
    assert not wire.is_valid_connection_id(value)


@pytest.mark.parametrize(
    ("route_key", "path"), [("$connect", "connect"), ("$default", "default"), ("chat", "chat")]
)
def test_integration_paths(route_key: str, path: str) -> None:
    assert wire.integration_path(route_key) == path
