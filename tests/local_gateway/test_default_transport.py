"""The default transport against the local gateway's Management API, with real clients."""

from __future__ import annotations

from contextlib import ExitStack

import pytest
from websockets.exceptions import ConnectionClosed

from django_aws_api_gateway_websockets.aiohttp_transport import AiohttpTransport
from django_aws_api_gateway_websockets.local_gateway import GatewayThread, Limits
from django_aws_api_gateway_websockets.transport import Outcome, Target

from .conftest import Backend, GatewayFactory, connection_id_of, ws_connect


def test_posts_reach_clients_and_a_closed_one_is_gone(
    backend: Backend, gateway_thread: GatewayThread
) -> None:
    transport = AiohttpTransport()
    with ws_connect(gateway_thread.url) as first, ws_connect(gateway_thread.url) as second:
        ids = [connection_id_of(backend, 0), connection_id_of(backend, 1)]
        targets = [Target(gateway_thread.management_url, cid) for cid in [*ids, "never-existed"]]

        deliveries = transport.post_to_connections(targets, b'{"to": "all"}')

        assert [d.outcome for d in deliveries] == [Outcome.SENT, Outcome.SENT, Outcome.GONE]
        assert first.recv(timeout=5) == second.recv(timeout=5) == '{"to": "all"}'


def test_get_probes_and_delete_closes(backend: Backend, gateway_thread: GatewayThread) -> None:
    transport = AiohttpTransport()
    with ws_connect(gateway_thread.url) as client:
        target = Target(gateway_thread.management_url, connection_id_of(backend))

        assert [d.outcome for d in transport.get_connections([target])] == [Outcome.SENT]
        assert [d.outcome for d in transport.delete_connections([target])] == [Outcome.SENT]
        with pytest.raises(ConnectionClosed):
            client.recv(timeout=5)

    backend.wait_for("disconnect")
    assert [d.outcome for d in transport.get_connections([target])] == [Outcome.GONE]


def test_a_message_over_the_quota_fails_and_the_others_still_go(
    backend: Backend, gateway_thread: GatewayThread
) -> None:
    with ws_connect(gateway_thread.url) as client:
        target = Target(gateway_thread.management_url, connection_id_of(backend))
        transport = AiohttpTransport()

        [too_big] = transport.post_to_connections([target], b"x" * (128 * 1024 + 1))
        [fine] = transport.post_to_connections([target], b"fine")

        assert too_big.outcome is Outcome.FAILED
        assert too_big.error.startswith("PayloadTooLargeException (HTTP 413)")
        assert fine.outcome is Outcome.SENT
        assert client.recv(timeout=5) == "fine"


def test_a_broadcast_through_the_throttled_gateway_reaches_everyone_once(
    backend: Backend, start_gateway_thread: GatewayFactory
) -> None:
    # Twice the burst, at a rate that refills slowly: several requests meet a 429.
    gateway_thread = start_gateway_thread(limits=Limits(throttle_rate=20, throttle_burst=3))
    transport = AiohttpTransport()
    with ExitStack() as stack:
        clients = [stack.enter_context(ws_connect(gateway_thread.url)) for _ in range(6)]
        targets = [
            Target(gateway_thread.management_url, connection_id_of(backend, n)) for n in range(6)
        ]

        first = transport.post_to_connections(targets, b"news")
        then = transport.post_to_connections(targets, b"end")

        assert {d.error for d in first + then} == {""}
        # Exactly once: each client's next message after the news is the end marker.
        assert [(c.recv(timeout=5), c.recv(timeout=5)) for c in clients] == [("news", "end")] * 6
