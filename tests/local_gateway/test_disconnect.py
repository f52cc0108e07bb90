"""$disconnect: exactly one per connection, best effort, sometimes dropped on purpose."""

from __future__ import annotations

import contextlib
import logging

import pytest
from websockets.exceptions import ConnectionClosed

from django_aws_api_gateway_websockets import wire
from tests.waiting import wait_until

from .conftest import (
    API_ID,
    SECRET,
    Backend,
    GatewayFactory,
    connection_id_of,
    handlers_done,
    ws_connect,
)


def test_a_client_close_causes_exactly_one_disconnect(
    backend: Backend, start_gateway_thread: GatewayFactory
) -> None:
    gateway_thread = start_gateway_thread()
    with ws_connect(gateway_thread.url) as client:
        client.send("x")
        client.recv(timeout=5)
    (request,) = backend.wait_for("disconnect")
    handlers_done(gateway_thread)
    assert len(backend.received("disconnect")) == 1
    assert request.method == "POST"
    assert request.body == b""
    assert request.query_string == ""
    assert request.headers["Connectionid"] == connection_id_of(backend)
    assert request.headers["X-Amzn-Apigateway-Api-Id"] == API_ID
    assert request.headers["X-Ws-Gateway-Secret"] == SECRET
    assert request.headers["User-Agent"] == wire.gateway_user_agent(API_ID)
    assert request.headers["X-Forwarded-Port"] == str(gateway_thread.port)


def test_drop_rate_one_drops_every_disconnect(
    backend: Backend, start_gateway_thread: GatewayFactory, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="django_aws_api_gateway_websockets.local_gateway")
    gateway_thread = start_gateway_thread(disconnect_drop_rate=1.0)
    for _ in range(3):
        with ws_connect(gateway_thread.url):
            pass
    backend.wait_for("connect", 3)
    wait_until(lambda: caplog.text.count("disconnect dropped") == 3, what="3 drops logged")
    handlers_done(gateway_thread)
    assert backend.received("disconnect") == []


def test_a_failing_disconnect_integration_is_only_logged(
    backend: Backend,
    start_gateway_thread: GatewayFactory,
    free_port: int,
    caplog: pytest.LogCaptureFixture,
) -> None:
    gateway_thread = start_gateway_thread(
        routes={
            "$connect": backend.url + "connect",
            "$disconnect": f"http://127.0.0.1:{free_port}/disconnect",
        }
    )
    with ws_connect(gateway_thread.url):
        pass
    wait_until(lambda: "disconnect failed" in caplog.text, what="the failed disconnect logged")
    # The gateway goes on serving.
    with ws_connect(gateway_thread.url):
        backend.wait_for("connect", 2)


def test_without_a_disconnect_route_nothing_is_posted(
    backend: Backend, start_gateway_thread: GatewayFactory
) -> None:
    gateway_thread = start_gateway_thread(routes={"$connect": backend.url + "connect"})
    with ws_connect(gateway_thread.url):
        pass
    with ws_connect(gateway_thread.url):
        backend.wait_for("connect", 2)
    handlers_done(gateway_thread)
    assert [request.path for request in backend.requests] == ["/ws/connect", "/ws/connect"]


def test_stopping_the_gateway_closes_connections_with_their_disconnects(
    backend: Backend, start_gateway_thread: GatewayFactory
) -> None:
    gateway_thread = start_gateway_thread()
    with contextlib.ExitStack() as stack:
        clients = [stack.enter_context(ws_connect(gateway_thread.url)) for _ in range(3)]
        backend.wait_for("connect", 3)
        gateway_thread.stop()
        assert len(backend.wait_for("disconnect", 3)) == 3
        for client in clients:
            with pytest.raises(ConnectionClosed):
                client.recv(timeout=5)
            assert client.close_code == 1001
