"""reconcile() and its command against the local gateway's Management API (real sockets)."""

from __future__ import annotations

from collections.abc import Iterator
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command

from django_aws_api_gateway_websockets.local_gateway import GatewayConfig, GatewayThread
from django_aws_api_gateway_websockets.models import ApiGateway, WebSocketSession
from django_aws_api_gateway_websockets.transport import clear_transport_cache
from tests.conftest import OPEN_FOR_A_WHILE, MakeSession
from tests.local_gateway.conftest import Backend, connection_id_of, ws_connect

from .conftest import SEND_SETTINGS


@pytest.fixture(autouse=True)
def _patient_sends(settings: Any) -> None:
    # Real sockets through a real gateway thread: on a loaded machine an answer
    # can take longer than the 1 s the stand-in tests allow.
    settings.WEBSOCKETS = {
        **SEND_SETTINGS,
        "send_connect_timeout_seconds": 10.0,
        "send_read_timeout_seconds": 10.0,
    }
    clear_transport_cache()


@pytest.fixture
def local_gateway() -> Iterator[tuple[Backend, GatewayThread]]:
    # The backend stands in for Django: it answers $connect and records the ids.
    backend = Backend()
    backend.start()
    gateway = GatewayThread(GatewayConfig.for_target(backend.url, api_id="localrc01")).start()
    yield backend, gateway
    gateway.stop()
    backend.stop()


def test_reconcile_closes_the_rows_the_local_gateway_no_longer_holds(
    local_gateway: tuple[Backend, GatewayThread], make_session: MakeSession, db: None
) -> None:
    backend, gateway = local_gateway
    record = ApiGateway.objects.create(
        api_name="local",
        api_id="localrc01",
        api_endpoint=f"ws://127.0.0.1:{gateway.port}",
        target_base_endpoint=backend.url,
    )
    with ws_connect(gateway.url) as open_client:
        open_id = connection_id_of(backend)
        with ws_connect(gateway.url):
            closed_id = connection_id_of(backend)
        # Rows as the view would have written them; the backend is not Django,
        # so the closed connection's $disconnect changed nothing: a stale row.
        for connection_id in (open_id, closed_id):
            make_session(connection_id, record, opened_seconds_ago=OPEN_FOR_A_WHILE)
        dry = StringIO()
        call_command("reconcilewebsocketsessions", "--dry-run", stdout=dry)

        result = WebSocketSession.objects.filter(api_gateway=record).reconcile()

        # The first frame the open client gets is the answer to its own message:
        # reconcile posted nothing to it.
        open_client.send("still here")
        assert open_client.recv(timeout=5) == "default got still here"
    assert "1 alive, 1 gone (would mark disconnected)" in dry.getvalue()
    assert (result.alive_ids, result.gone_ids) == ((open_id,), (closed_id,))
    assert list(
        WebSocketSession.objects.filter(connected=True).values_list("connection_id", flat=True)
    ) == [open_id]
    assert [r.body for r in backend.received("default")] == [b"still here"]
