"""API Gateway's quotas: message and frame size, binary frames, idle and duration."""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Iterable, Iterator

import pytest
from websockets.exceptions import ConnectionClosed
from websockets.protocol import State
from websockets.sync.client import ClientConnection

from django_aws_api_gateway_websockets.local_gateway import Limits
from tests.waiting import wait_until

from .conftest import Backend, GatewayFactory, ws_connect

KB = 1024


def closed_with(client: ClientConnection) -> int | None:
    """The close code the gateway sent, once the connection is over."""
    with pytest.raises(ConnectionClosed) as closed:
        while True:
            client.recv(timeout=5)
    assert closed.value.rcvd is not None
    return closed.value.rcvd.code


def closed_by_fragments(client: ClientConnection, fragments: Iterable[str]) -> int | None:
    """The close code the gateway sent on a fragmented message it refuses.

    websockets writes the fragments one frame each, then an empty final frame.
    The gateway closes as soon as a fragment crosses a limit, so on a busy
    machine its close can arrive while frames are still being written: then
    the send itself reports the close.
    """
    try:
        client.send(fragments)
    except ConnectionClosed as closed:
        assert closed.rcvd is not None
        return closed.rcvd.code
    return closed_with(client)


def test_a_message_over_128_kb_closes_with_1009(
    backend: Backend, start_gateway_thread: GatewayFactory
) -> None:
    gateway_thread = start_gateway_thread()
    with ws_connect(gateway_thread.url) as client:
        # In 32 KB frames, so only the message quota is exceeded.
        assert closed_by_fragments(client, ["x" * (32 * KB)] * 4 + ["x"]) == 1009
    backend.wait_for("disconnect")
    assert backend.received("default") == []


def test_a_message_of_exactly_128_kb_in_32_kb_frames_passes(
    backend: Backend, start_gateway_thread: GatewayFactory
) -> None:
    backend.answer("default", body=b"ok")
    gateway_thread = start_gateway_thread()
    with ws_connect(gateway_thread.url) as client:
        client.send(["y" * (32 * KB)] * 4)
        assert client.recv(timeout=5) == "ok"
    assert len(backend.received("default")[0].body) == 128 * KB


@pytest.mark.parametrize("size", [32 * KB + 1, 70 * KB])
def test_a_frame_over_32_kb_is_refused_with_1009(
    backend: Backend, start_gateway_thread: GatewayFactory, size: int
) -> None:
    gateway_thread = start_gateway_thread()
    with ws_connect(gateway_thread.url) as client:
        client.send("z" * size)
        assert closed_with(client) == 1009
    backend.wait_for("disconnect")
    assert backend.received("default") == []


def test_an_oversized_frame_in_a_fragmented_message_closes_at_once(
    backend: Backend, start_gateway_thread: GatewayFactory
) -> None:
    gateway_thread = start_gateway_thread()
    with ws_connect(gateway_thread.url) as client:
        release = threading.Event()

        def fragments() -> Iterator[str]:
            yield "a" * KB
            yield "b" * (40 * KB)
            # The message is not finished yet: the gateway must not wait for it.
            release.wait(5)
            yield "c"

        sender = threading.Thread(target=_send_ignoring_close, args=(client, fragments()))
        sender.start()
        backend.wait_for("disconnect", timeout=2)
        release.set()
        sender.join()
        assert client.close_code == 1009
    assert backend.received("default") == []


def _send_ignoring_close(client: ClientConnection, message: Iterator[str]) -> None:
    with contextlib.suppress(ConnectionClosed):
        client.send(message)


def test_limits_are_configurable(backend: Backend, start_gateway_thread: GatewayFactory) -> None:
    gateway_thread = start_gateway_thread(limits=Limits(max_message_bytes=100, max_frame_bytes=10))
    with ws_connect(gateway_thread.url) as client:
        client.send(["0123456789"] * 3)
        assert client.recv(timeout=5) == "default got " + "0123456789" * 3
        client.send("01234567890")
        assert closed_with(client) == 1009
    with ws_connect(gateway_thread.url) as client:
        assert closed_by_fragments(client, ["0123456789"] * 10 + ["!"]) == 1009


def test_the_gateway_closes_as_soon_as_a_fragment_crosses_the_quota(
    backend: Backend, start_gateway_thread: GatewayFactory
) -> None:
    # The order a loaded machine can produce: the close arrives before the
    # client has written the message's final frame (websockets sends an empty
    # one after the last fragment), so the send itself reports it.
    gateway_thread = start_gateway_thread(limits=Limits(max_message_bytes=100, max_frame_bytes=10))
    with ws_connect(gateway_thread.url) as client:

        def fragments() -> Iterator[str]:
            yield from ["0123456789"] * 10 + ["!"]
            wait_until(
                lambda: client.protocol.state is not State.OPEN,
                what="the gateway's close before the final frame",
            )

        assert closed_by_fragments(client, fragments()) == 1009
    backend.wait_for("disconnect")
    assert backend.received("default") == []


def test_a_binary_frame_closes_with_1003(
    backend: Backend, start_gateway_thread: GatewayFactory
) -> None:
    gateway_thread = start_gateway_thread()
    with ws_connect(gateway_thread.url) as client:
        client.send(b"\x00\x01")
        assert closed_with(client) == 1003
    backend.wait_for("disconnect")
    assert backend.received("default") == []


def test_an_idle_connection_is_closed(
    backend: Backend, start_gateway_thread: GatewayFactory
) -> None:
    gateway_thread = start_gateway_thread(limits=Limits(idle_timeout_seconds=0.4))
    with ws_connect(gateway_thread.url) as client:
        # Messages keep it open past the idle timeout... (the sleeps are what is
        # tested: 0.8 s in all, each gap under the 0.4 s timeout)
        for _ in range(4):
            time.sleep(0.2)
            client.send("still here")
            client.recv(timeout=5)
        # ...silence does not.
        started = time.monotonic()
        assert closed_with(client) == 1001
        assert 0.2 < time.monotonic() - started < 2
    assert len(backend.wait_for("disconnect")) == 1


def test_a_connection_is_closed_after_its_maximum_duration(
    backend: Backend, start_gateway_thread: GatewayFactory
) -> None:
    gateway_thread = start_gateway_thread(
        limits=Limits(idle_timeout_seconds=10, max_connection_duration_seconds=0.6)
    )
    with ws_connect(gateway_thread.url) as client:
        started = time.monotonic()
        with pytest.raises(ConnectionClosed) as closed:
            while True:
                client.send("busy")
                client.recv(timeout=5)
                time.sleep(0.05)
        assert closed.value.rcvd is not None
        assert closed.value.rcvd.code == 1001
        assert 0.5 < time.monotonic() - started < 2
    assert len(backend.wait_for("disconnect")) == 1


@pytest.mark.parametrize(
    ("idle", "maximum", "reason"), [(1.5, 3.0, "idle timeout"), (10.0, 1.5, "max duration")]
)
def test_pings_keep_no_connection_open_past_its_limits(
    backend: Backend, start_gateway_thread: GatewayFactory, idle: float, maximum: float, reason: str
) -> None:
    # AWS documents an idle timeout and a maximum duration that always holds;
    # it does not say that ping frames count as activity, so here they do not.
    # Pings answered with pongs used to restart the wait each time, so a client
    # that pinged every 0.3 s stayed open for good.
    gateway_thread = start_gateway_thread(
        limits=Limits(idle_timeout_seconds=idle, max_connection_duration_seconds=maximum)
    )
    with ws_connect(gateway_thread.url, ping_interval=None) as client:
        started = time.monotonic()
        stop = threading.Event()

        def ping_every_300_ms() -> None:
            while not stop.wait(0.3):
                try:
                    client.ping()
                except ConnectionClosed:
                    return

        pinger = threading.Thread(target=ping_every_300_ms)
        pinger.start()
        try:
            code = closed_with(client)
        finally:
            stop.set()
            pinger.join()
        elapsed = time.monotonic() - started
    assert (code, client.close_reason) == (1001, reason)
    # Closed by whichever limit comes first, pings or not.
    assert 1.3 < elapsed < 3.0
    assert len(backend.wait_for("disconnect")) == 1
