"""Sockets that do not play by the rules: silent, half-open, unmasked, too many."""

from __future__ import annotations

import asyncio
import asyncio.selector_events
import base64
import contextlib
import errno
import os
import socket
import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import pytest

from django_aws_api_gateway_websockets.local_gateway import GatewayThread, Limits
from django_aws_api_gateway_websockets.local_gateway import listener as listener_module

from .conftest import Backend, GatewayFactory, ws_connect


def open_socket(gateway_thread: GatewayThread) -> socket.socket:
    return socket.create_connection(("127.0.0.1", gateway_thread.port), timeout=5)


def raw_websocket(gateway_thread: GatewayThread) -> socket.socket:
    """A WebSocket connection by hand, so that its frames can break the rules."""
    sock = open_socket(gateway_thread)
    key = base64.b64encode(os.urandom(16)).decode()
    sock.sendall(
        (
            f"GET {urlsplit(gateway_thread.url).path} HTTP/1.1\r\n"
            f"Host: 127.0.0.1:{gateway_thread.port}\r\n"
            "Upgrade: websocket\r\nConnection: Upgrade\r\n"
            f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n"
        ).encode()
    )
    head = b""
    while b"\r\n\r\n" not in head:
        chunk = sock.recv(4096)
        assert chunk, head
        head += chunk
    assert head.startswith(b"HTTP/1.1 101"), head
    return sock


def read_until_closed(sock: socket.socket, timeout: float = 5) -> bytes:
    """Everything the gateway sends until it closes (a reset counts as closed)."""
    sock.settimeout(timeout)
    data = b""
    with contextlib.suppress(ConnectionResetError):
        while chunk := sock.recv(4096):
            data += chunk
    return data


def echo_works(client: object) -> bool:
    client.send("still here")  # type: ignore[attr-defined]
    return bool(client.recv(timeout=5) == "default got still here")  # type: ignore[attr-defined]


def test_an_unmasked_client_frame_closes_with_1002(
    backend: Backend, start_gateway_thread: GatewayFactory
) -> None:
    gateway_thread = start_gateway_thread()
    sock = raw_websocket(gateway_thread)
    sock.sendall(bytes([0x81, 3]) + b"bad")
    frame = read_until_closed(sock)
    sock.close()
    # A server's close frame: opcode 8, unmasked, then the 2-byte code.
    assert frame[0] == 0x88
    assert int.from_bytes(frame[2:4], "big") == 1002
    backend.wait_for("disconnect")
    assert backend.received("default") == []


def test_a_silent_connection_is_closed_after_the_handshake_timeout(
    backend: Backend, start_gateway_thread: GatewayFactory
) -> None:
    gateway_thread = start_gateway_thread(limits=Limits(handshake_timeout_seconds=0.3))
    with open_socket(gateway_thread) as silent, open_socket(gateway_thread) as slow:
        slow.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n")  # never finished
        started = time.monotonic()
        assert read_until_closed(silent) == b""
        assert read_until_closed(slow) == b""
        assert 0.2 < time.monotonic() - started < 3
    # An established connection is not a handshake: it outlives the timeout.
    with ws_connect(gateway_thread.url) as client:
        # The sleep is what is tested: the 0.3 s handshake timer must run out
        # while this connection is open.
        time.sleep(0.5)
        assert echo_works(client)
    assert backend.received("connect") and len(backend.received("connect")) == 1


@contextlib.contextmanager
def silent_sockets(gateway_thread: GatewayThread, count: int) -> Iterator[list[socket.socket]]:
    sockets = [open_socket(gateway_thread) for _ in range(count)]
    try:
        yield sockets
    finally:
        for sock in sockets:
            sock.close()


def wait_for_handshakes(gateway_thread: GatewayThread, count: int) -> None:
    listener = gateway_thread.gateway._listener
    assert listener is not None
    deadline = time.monotonic() + 5
    while listener.handshakes_in_progress != count and time.monotonic() < deadline:
        time.sleep(0.01)
    assert listener.handshakes_in_progress == count


def test_handshakes_in_progress_are_capped(
    backend: Backend, start_gateway_thread: GatewayFactory
) -> None:
    gateway_thread = start_gateway_thread(
        limits=Limits(max_pending_handshakes=3, handshake_timeout_seconds=30)
    )
    with ws_connect(gateway_thread.url) as established:
        with silent_sockets(gateway_thread, 3):
            wait_for_handshakes(gateway_thread, 3)
            with open_socket(gateway_thread) as one_too_many:
                assert read_until_closed(one_too_many).startswith(b"HTTP/1.1 429")
            assert echo_works(established)
        wait_for_handshakes(gateway_thread, 0)
        with ws_connect(gateway_thread.url) as newcomer:
            assert echo_works(newcomer)
        assert echo_works(established)


def test_a_descriptor_reserve_is_kept_for_established_clients(
    backend: Backend, start_gateway_thread: GatewayFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(listener_module, "descriptor_budget", lambda: 2)
    gateway_thread = start_gateway_thread()
    with ws_connect(gateway_thread.url) as first:
        with ws_connect(gateway_thread.url) as second:
            with open_socket(gateway_thread) as third:
                assert read_until_closed(third).startswith(b"HTTP/1.1 503")
            assert echo_works(first)
            assert echo_works(second)
        # A closed connection frees its place.
        deadline = time.monotonic() + 5
        while gateway_thread.gateway._listener.open_sockets > 1 and time.monotonic() < deadline:  # type: ignore[union-attr]
            time.sleep(0.01)
        with ws_connect(gateway_thread.url) as newcomer:
            assert echo_works(newcomer)


@pytest.mark.parametrize(
    ("soft", "budget"), [(1024, 896), (64, 48), (20, 15), (8, 8), (1 << 20, (1 << 20) - 128)]
)
def test_descriptor_budget(monkeypatch: pytest.MonkeyPatch, soft: int, budget: int) -> None:
    monkeypatch.setattr(listener_module.resource, "getrlimit", lambda _: (soft, soft))
    assert listener_module.descriptor_budget() == budget


def test_descriptor_budget_without_a_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    infinity = listener_module.resource.RLIM_INFINITY
    monkeypatch.setattr(listener_module.resource, "getrlimit", lambda _: (infinity, infinity))
    assert listener_module.descriptor_budget() == 1 << 30


def test_an_aborted_accept_does_not_stop_the_gateway(
    backend: Backend, start_gateway_thread: GatewayFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_accept = asyncio.selector_events.BaseSelectorEventLoop.sock_accept
    failures = [ConnectionAbortedError(errno.ECONNABORTED, "aborted")] * 2

    async def flaky_accept(loop: Any, sock: socket.socket) -> Any:
        if failures:
            raise failures.pop()
        return await real_accept(loop, sock)

    monkeypatch.setattr(asyncio.selector_events.BaseSelectorEventLoop, "sock_accept", flaky_accept)
    gateway_thread = start_gateway_thread()
    with ws_connect(gateway_thread.url) as client:
        assert echo_works(client)
    assert failures == []
    assert gateway_thread.gateway._listener.refused["accept_errors"] == 2  # type: ignore[union-attr]


HALF_OPEN = 300


def test_300_half_open_handshakes_do_not_stop_the_gateway(
    backend: Backend, start_gateway_thread: GatewayFactory
) -> None:
    gateway_thread = start_gateway_thread(limits=Limits(handshake_timeout_seconds=1.0))
    with (
        ws_connect(gateway_thread.url) as established,
        silent_sockets(gateway_thread, HALF_OPEN) as half_open,
    ):
        for sock in half_open[::2]:
            sock.sendall(b"GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n")
        wait_for_handshakes(gateway_thread, HALF_OPEN)
        assert echo_works(established)
        with ws_connect(gateway_thread.url) as newcomer:
            assert echo_works(newcomer)
        # After the timeout every half-open socket has been closed by the gateway.
        wait_for_handshakes(gateway_thread, 0)
        assert all(read_until_closed(sock, timeout=1) == b"" for sock in half_open)
        assert echo_works(established)
