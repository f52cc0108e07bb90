"""The default transport against the local gateway's Management API, with real clients."""

from __future__ import annotations

import pytest
from websockets.exceptions import ConnectionClosed

from django_aws_api_gateway_websockets.aiohttp_transport import AiohttpTransport
from django_aws_api_gateway_websockets.local_gateway import GatewayThread
from django_aws_api_gateway_websockets.transport import Outcome, Target

from .conftest import Backend, connection_id_of, ws_connect


def test_posts_reach_clients_and_a_closed_one_is_gone(
    backend: Backend, gateway: GatewayThread
) -> None:
    transport = AiohttpTransport()
    with ws_connect(gateway.url) as first, ws_connect(gateway.url) as second:
        ids = [connection_id_of(backend, 0), connection_id_of(backend, 1)]
        targets = [Target(gateway.management_url, cid) for cid in [*ids, "never-existed"]]

        deliveries = transport.post_to_connections(targets, b'{"to": "all"}')

        assert [d.outcome for d in deliveries] == [Outcome.SENT, Outcome.SENT, Outcome.GONE]
        assert first.recv(timeout=5) == second.recv(timeout=5) == '{"to": "all"}'


def test_get_probes_and_delete_closes(backend: Backend, gateway: GatewayThread) -> None:
    transport = AiohttpTransport()
    with ws_connect(gateway.url) as client:
        target = Target(gateway.management_url, connection_id_of(backend))

        assert [d.outcome for d in transport.get_connections([target])] == [Outcome.SENT]
        assert [d.outcome for d in transport.delete_connections([target])] == [Outcome.SENT]
        with pytest.raises(ConnectionClosed):
            client.recv(timeout=5)

    backend.wait_for("disconnect")
    assert [d.outcome for d in transport.get_connections([target])] == [Outcome.GONE]


def test_a_message_over_the_quota_fails_and_the_others_still_go(
    backend: Backend, gateway: GatewayThread
) -> None:
    with ws_connect(gateway.url) as client:
        target = Target(gateway.management_url, connection_id_of(backend))
        transport = AiohttpTransport()

        [too_big] = transport.post_to_connections([target], b"x" * (128 * 1024 + 1))
        [fine] = transport.post_to_connections([target], b"fine")

        assert too_big.outcome is Outcome.FAILED
        assert too_big.error.startswith("PayloadTooLargeException (HTTP 413)")
        assert fine.outcome is Outcome.SENT
        assert client.recv(timeout=5) == "fine"
