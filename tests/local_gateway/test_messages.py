"""Messages: the request each frame becomes, route selection, replies and error frames."""

from __future__ import annotations

import json
import socket

import pytest

from django_aws_api_gateway_websockets import wire
from django_aws_api_gateway_websockets.local_gateway import Limits

from .conftest import (
    API_ID,
    SECRET,
    Backend,
    GatewayFactory,
    connection_id_of,
    error_frame,
    ws_connect,
)


def test_a_message_becomes_the_wire_contract_request(
    backend: Backend, start_gateway_thread: GatewayFactory
) -> None:
    gateway_thread = start_gateway_thread()
    frame = '{"action": "unknown", "text": "héllo"}'
    with ws_connect(gateway_thread.url) as client:
        client.send(frame)
        client.recv(timeout=5)
        connection_id = connection_id_of(backend)

    (request,) = backend.received("default")
    expected = wire.message_request(
        connection_id=connection_id,
        api_id=API_ID,
        body=frame,
        source_ip="127.0.0.1",
        forwarded_proto="http",
        forwarded_port=gateway_thread.port,
        static_headers={"X-Ws-Gateway-Secret": SECRET},
    )
    assert request.method == "POST"
    assert request.body == frame.encode()
    assert request.query_string == ""
    for name, value in expected.headers.items():
        if name != wire.TRACE_ID_HEADER:
            assert request.headers[name] == value, name
    assert request.headers[wire.TRACE_ID_HEADER].startswith("Root=1-")
    assert request.headers["User-Agent"] == f"AmazonAPIGateway_{API_ID}"
    assert "Content-Type" not in request.headers


def test_messages_reach_the_backend_in_order(
    backend: Backend, start_gateway_thread: GatewayFactory
) -> None:
    gateway_thread = start_gateway_thread()
    with ws_connect(gateway_thread.url) as client:
        for number in range(20):
            client.send(str(number))
        replies = [client.recv(timeout=5) for _ in range(20)]
    assert replies == [f"default got {number}" for number in range(20)]


@pytest.mark.parametrize(
    ("expression", "routes", "body", "route"),
    [
        ("$request.body.action", ["sendmessage"], {"action": "sendmessage"}, "sendmessage"),
        ("$request.body.action", ["sendmessage"], {"action": "other"}, "default"),
        ("$request.body.action", ["sendmessage"], {"text": "no action"}, "default"),
        ("$request.body.action", ["5"], {"action": 5}, "5"),
        ("$request.body.action", ["true"], {"action": True}, "true"),
        ("$request.body.meta.kind", ["ping"], {"meta": {"kind": "ping"}}, "ping"),
        ("$request.body.meta.kind", ["ping"], {"meta": "ping"}, "default"),
        (
            "${request.body.service}/${request.body.action}",
            ["chat-send"],
            {"service": "chat", "action": "send"},
            "default",
        ),
        (
            "${request.body.service}-${request.body.action}",
            ["chat-send"],
            {"service": "chat", "action": "send"},
            "chat-send",
        ),
        (
            "v1:${request.body.service}-${request.body.action}",
            ["v1:chat-send"],
            {"service": "chat", "action": "send"},
            "v1:chat-send",
        ),
        ("${request.body.a}-${request.body.b}", ["x-y"], {"a": "x"}, "default"),
        # A body may not pick a special route by naming it.
        ("$request.body.action", ["sendmessage"], {"action": "$disconnect"}, "default"),
        ("$request.body.action", ["sendmessage"], {"action": "$default"}, "default"),
    ],
)
def test_route_selection(
    backend: Backend,
    start_gateway_thread: GatewayFactory,
    expression: str,
    routes: list[str],
    body: dict[str, object],
    route: str,
) -> None:
    gateway_thread = start_gateway_thread(
        route_selection_expression=expression,
        extra_routes={key: backend.url + key.replace(":", "_") for key in routes},
        two_way_routes={"$default", *routes},
    )
    text = json.dumps(body)
    with ws_connect(gateway_thread.url) as client:
        client.send(text)
        reply = client.recv(timeout=5)
    assert reply == f"{route.replace(':', '_')} got {text}"


def test_a_body_that_is_not_json_goes_to_default(
    backend: Backend, start_gateway_thread: GatewayFactory
) -> None:
    gateway_thread = start_gateway_thread(extra_routes={"hello": backend.url + "hello"})
    with ws_connect(gateway_thread.url) as client:
        client.send("hello")
        assert client.recv(timeout=5) == "default got hello"
        client.send("[1, 2]")
        assert client.recv(timeout=5) == "default got [1, 2]"


def test_template_route_with_a_slash(
    backend: Backend, start_gateway_thread: GatewayFactory
) -> None:
    gateway_thread = start_gateway_thread(
        route_selection_expression="${request.body.service}/${request.body.action}",
        extra_routes={"chat/send": backend.url + "chat_send"},
        two_way_routes={"chat/send"},
    )
    with ws_connect(gateway_thread.url) as client:
        client.send('{"service": "chat", "action": "send"}')
        assert client.recv(timeout=5) == 'chat_send got {"service": "chat", "action": "send"}'


def test_without_default_an_unmatched_message_gets_forbidden(
    backend: Backend, start_gateway_thread: GatewayFactory
) -> None:
    gateway_thread = start_gateway_thread(routes={"sendmessage": backend.url + "sendmessage"})
    with ws_connect(gateway_thread.url) as client:
        client.send('{"action": "nothing"}')
        frame = error_frame(client.recv(timeout=5))
        client.send('{"action": "sendmessage"}')
        # One-way: the backend hears it, the client hears nothing back.
        backend.wait_for("sendmessage")
        with pytest.raises(TimeoutError):
            client.recv(timeout=0.3)
        connection_id = gateway_thread.gateway.connection_ids()[0]
    assert frame["message"] == "Forbidden"
    assert frame["connectionId"] == connection_id
    assert frame["requestId"]


def test_one_way_routes_send_nothing_back(
    backend: Backend, start_gateway_thread: GatewayFactory
) -> None:
    gateway_thread = start_gateway_thread(extra_routes={"notify": backend.url + "notify"})
    with ws_connect(gateway_thread.url) as client:
        client.send('{"action": "notify"}')
        client.send("then default")
        # The first frame the client gets is the $default reply.
        assert client.recv(timeout=5) == "default got then default"
    assert len(backend.received("notify")) == 1


def test_empty_reply_of_a_two_way_route_sends_nothing(
    backend: Backend, start_gateway_thread: GatewayFactory
) -> None:
    backend.answer("default", body=b"")
    gateway_thread = start_gateway_thread(
        extra_routes={"echo": backend.url + "echo"}, two_way_routes={"$default", "echo"}
    )
    with ws_connect(gateway_thread.url) as client:
        client.send("first")
        client.send('{"action": "echo"}')
        assert client.recv(timeout=5) == 'echo got {"action": "echo"}'


def test_a_binary_reply_is_sent_as_binary(
    backend: Backend, start_gateway_thread: GatewayFactory
) -> None:
    backend.answer("default", body=b"\xff\x00 not utf-8")
    gateway_thread = start_gateway_thread()
    with ws_connect(gateway_thread.url) as client:
        client.send("x")
        assert client.recv(timeout=5) == b"\xff\x00 not utf-8"


def test_a_4xx_reply_of_a_two_way_route_reaches_the_client(
    backend: Backend, start_gateway_thread: GatewayFactory
) -> None:
    backend.answer("default", status=400, body=b'{"error": "bad"}')
    gateway_thread = start_gateway_thread()
    with ws_connect(gateway_thread.url) as client:
        client.send("x")
        assert client.recv(timeout=5) == '{"error": "bad"}'


@pytest.mark.parametrize("route", ["default", "notify"])
def test_a_5xx_answer_gives_internal_server_error(
    backend: Backend, start_gateway_thread: GatewayFactory, route: str
) -> None:
    backend.answer(route, status=502, body=b"Traceback...")
    gateway_thread = start_gateway_thread(extra_routes={"notify": backend.url + "notify"})
    with ws_connect(gateway_thread.url) as client:
        client.send(json.dumps({"action": route}))
        frame = error_frame(client.recv(timeout=5))
    assert frame["message"] == "Internal server error"


def test_a_slow_integration_gives_endpoint_request_timed_out(
    backend: Backend, start_gateway_thread: GatewayFactory
) -> None:
    backend.answer("default", delay=1.0, body=b"too late")
    gateway_thread = start_gateway_thread(limits=Limits(integration_timeout_seconds=0.1))
    with ws_connect(gateway_thread.url) as client:
        client.send("x")
        frame = error_frame(client.recv(timeout=5))
        # The connection survives.
        backend.answer("default", body=b"on time")
        client.send("y")
        assert client.recv(timeout=5) == "on time"
    assert frame["message"] == "Endpoint request timed out"


def test_an_unreachable_integration_gives_internal_server_error(
    backend: Backend, start_gateway_thread: GatewayFactory, free_port: int
) -> None:
    gateway_thread = start_gateway_thread(
        routes={
            "$connect": backend.url + "connect",
            "$default": f"http://127.0.0.1:{free_port}/default",
        }
    )
    with ws_connect(gateway_thread.url) as client:
        client.send("x")
        frame = error_frame(client.recv(timeout=5))
    assert frame["message"] == "Internal server error"


def test_a_client_vanishing_mid_message_still_gets_one_disconnect(
    backend: Backend, start_gateway_thread: GatewayFactory
) -> None:
    backend.answer("default", delay=0.3, body=b"late reply")
    gateway_thread = start_gateway_thread()
    with ws_connect(gateway_thread.url) as client:
        client.send("x")
        backend.wait_for("default")
        # Gone without a close frame, before the reply can be written.
        client.socket.shutdown(socket.SHUT_RDWR)
        client.socket.close()
        (disconnect,) = backend.wait_for("disconnect")
    assert disconnect.headers["Connectionid"] == connection_id_of(backend)
    assert gateway_thread.gateway.connection_ids() == []


def test_a_deeply_nested_body_goes_to_default_and_the_connection_stays_open(
    backend: Backend, start_gateway_thread: GatewayFactory
) -> None:
    # Deeper than Python's JSON parser can go: AWS still routes it to $default.
    nested = "[" * 20_000
    gateway_thread = start_gateway_thread(
        extra_routes={"hello": backend.url + "hello"}, two_way_routes={"$default", "hello"}
    )
    with ws_connect(gateway_thread.url) as client:
        client.send(nested)
        assert client.recv(timeout=5) == f"default got {nested}"
        client.send('{"action": "hello"}')
        assert client.recv(timeout=5) == 'hello got {"action": "hello"}'
    assert len(backend.wait_for("disconnect")) == 1
