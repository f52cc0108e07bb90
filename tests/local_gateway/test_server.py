"""Running a gateway: in a thread, with run() until a signal, and its log lines."""

from __future__ import annotations

import logging
import os
import signal
import socket
import threading

import pytest
from websockets.exceptions import InvalidStatus

from django_aws_api_gateway_websockets.local_gateway import (
    GatewayConfig,
    GatewayThread,
    LocalGateway,
    run,
)

from .conftest import (
    API_ID,
    Backend,
    GatewayFactory,
    connection_id_of,
    management_client,
    ws_connect,
)

LOGGER = "django_aws_api_gateway_websockets.local_gateway"


def test_urls_of_a_running_gateway(backend: Backend) -> None:
    config = GatewayConfig.for_target(backend.url, stage="dev")
    with GatewayThread(config) as gateway_thread:
        assert gateway_thread.port > 0
        assert gateway_thread.endpoint == f"ws://127.0.0.1:{gateway_thread.port}"
        assert gateway_thread.url == f"ws://127.0.0.1:{gateway_thread.port}/dev"
        assert gateway_thread.management_url == f"http://127.0.0.1:{gateway_thread.port}/dev"
        with ws_connect(gateway_thread.url) as client:
            management_client(gateway_thread).post_to_connection(
                ConnectionId=connection_id_of(backend), Data=b"dev stage"
            )
            assert client.recv(timeout=5) == "dev stage"


def test_a_port_in_use_fails_start(backend: Backend) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        gateway_thread = GatewayThread(
            GatewayConfig.for_target(backend.url), port=taken.getsockname()[1]
        )
        with pytest.raises(OSError):
            gateway_thread.start()
    gateway_thread.stop()  # nothing to stop: no error either


def test_stop_twice_or_before_start_is_harmless(
    backend: Backend, start_gateway_thread: GatewayFactory
) -> None:
    GatewayThread(GatewayConfig.for_target(backend.url)).stop()
    gateway_thread = start_gateway_thread()
    gateway_thread.stop()
    gateway_thread.stop()
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", gateway_thread.port), timeout=1)


def test_run_serves_until_sigint(backend: Backend) -> None:
    seen: list[str] = []

    def ready(gateway_thread: LocalGateway) -> None:
        seen.append(gateway_thread.url)
        # As if the user pressed Ctrl-C once the gateway listens.
        os.kill(os.getpid(), signal.SIGINT)

    run(GatewayConfig.for_target(backend.url), "127.0.0.1", 0, on_ready=ready)
    assert len(seen) == 1
    port = int(seen[0].rsplit(":", 1)[1].split("/")[0])
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", port), timeout=1)


def test_one_log_line_per_event_without_bodies(
    backend: Backend, start_gateway_thread: GatewayFactory, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger=LOGGER)
    gateway_thread = start_gateway_thread()
    with ws_connect(gateway_thread.url) as client:
        client.send("secret body")
        client.recv(timeout=5)
    backend.wait_for("disconnect")
    gateway_thread.stop()
    events = [record.getMessage().split(" ")[0] for record in caplog.records]
    assert events == [
        "listening",
        "connect",
        "connected",
        "message",
        "reply",
        "closed",
        "disconnect",
        "stopped",
    ]
    assert "secret body" not in caplog.text
    # The structured log fields (docs/logging.md): each event's connection and route.
    connection_id = connection_id_of(backend)
    fields = {
        record.getMessage().split(" ")[0]: (
            record.connection_id,  # type: ignore[attr-defined]
            record.gateway,  # type: ignore[attr-defined]
            record.route,  # type: ignore[attr-defined]
        )
        for record in caplog.records
    }
    assert fields["connected"] == (connection_id, API_ID, None)
    assert fields["reply"] == (connection_id, API_ID, "$default")
    assert fields["listening"] == (None, API_ID, None)


def test_verbose_logs_bodies(
    backend: Backend, start_gateway_thread: GatewayFactory, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger=LOGGER)
    gateway_thread = start_gateway_thread(verbose=True)
    with ws_connect(gateway_thread.url) as client:
        client.send("x" * 5000)
        client.recv(timeout=5)
        management_client(gateway_thread).post_to_connection(
            ConnectionId=connection_id_of(backend), Data=b"pushed"
        )
        client.recv(timeout=5)
    message_line = next(
        r.getMessage() for r in caplog.records if r.getMessage().startswith("message")
    )
    assert "body='xxx" in message_line
    assert message_line.endswith("...'")
    assert "body='pushed'" in caplog.text


def test_tokens_in_the_query_string_are_not_logged(
    backend: Backend, start_gateway_thread: GatewayFactory, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger=LOGGER)
    gateway_thread = start_gateway_thread(verbose=True)
    with ws_connect(f"{gateway_thread.url}?channel=lobby&ws_token=abcdef0123456789"):
        pass
    backend.wait_for("disconnect")
    connect_line = next(
        r.getMessage() for r in caplog.records if r.getMessage().startswith("connect")
    )
    assert "query=channel=lobby&ws_token=%2A%2A%2A" in connect_line
    assert "abcdef0123456789" not in caplog.text
    # The backend itself still receives the token: only the log hides it.
    assert "ws_token=abcdef0123456789" in backend.requests[0].query_string


def test_while_stopping_sends_hear_gone_and_new_handshakes_are_refused(
    backend: Backend, start_gateway_thread: GatewayFactory
) -> None:
    # Django answers a $disconnect slowly (it sends presence events meanwhile).
    backend.answer("disconnect", delay=1.0)
    gateway_thread = start_gateway_thread()
    api = management_client(gateway_thread)
    with ws_connect(gateway_thread.url), ws_connect(gateway_thread.url):
        first, second = connection_id_of(backend, 0), connection_id_of(backend, 1)
        stopping = threading.Thread(target=gateway_thread.stop)
        stopping.start()
        try:
            backend.wait_for("disconnect", count=2)
            # What a backend sends while handling a $disconnect: 410, as from
            # AWS, not a refused connection (EndpointConnectionError).
            for connection_id in (first, second):
                with pytest.raises(api.exceptions.GoneException):
                    api.post_to_connection(ConnectionId=connection_id, Data=b"bye")
            with pytest.raises(InvalidStatus) as refused:
                ws_connect(gateway_thread.url)
            assert refused.value.response.status_code == 503
        finally:
            stopping.join()
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", gateway_thread.port), timeout=1)
