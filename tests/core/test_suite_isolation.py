"""The suite never sends to a port it did not open (tests/conftest.py).

The tests' ``gateway`` record used to point at 127.0.0.1:8001, the demo's local
gateway: a developer running the demo beside the suite answered the tests'
sends (a 410 closed a test's connection).
"""

from __future__ import annotations

import errno
import gc
import socket
from typing import Any
from urllib.parse import urlsplit

import pytest

from django_aws_api_gateway_websockets.models import ApiGateway, WebSocketSession
from django_aws_api_gateway_websockets.transport import clear_transport_cache
from tests import conftest
from tests.conftest import MakeSession


def test_the_gateway_record_points_at_a_port_the_run_holds(
    gateway: ApiGateway, refusing_port: int
) -> None:
    port = urlsplit(gateway.api_endpoint).port
    assert port == refusing_port and port not in conftest.DEMO_PORTS

    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", port), timeout=5)
    # Nobody else can listen there while the run holds it, even asking to share.
    with socket.socket() as intruder:
        intruder.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        with pytest.raises(OSError) as taken:
            intruder.bind(("127.0.0.1", port))
    assert taken.value.errno == errno.EADDRINUSE


def test_an_uncaptured_send_through_the_gateway_record_reaches_nobody(
    settings: Any, gateway: ApiGateway, make_session: MakeSession
) -> None:
    settings.WEBSOCKETS = {"send_max_attempts": 1}
    clear_transport_cache()
    make_session("a", gateway)

    result = WebSocketSession.objects.all().send_message({"n": 1})

    clear_transport_cache()
    assert result.failed_ids == ("a",)
    assert "EndpointConnectionError" in result.errors["a"]
    assert WebSocketSession.objects.get(connection_id="a").connected


@pytest.mark.parametrize("port", sorted(conftest.DEMO_PORTS))
def test_a_connection_to_a_demo_port_is_refused_and_recorded(port: int) -> None:
    with pytest.raises(ConnectionRefusedError, match="demo's port"):
        socket.create_connection(("127.0.0.1", port), timeout=5)

    # The autouse guard fails the test at teardown; this one empties the record
    # instead, having seen what it holds.
    assert conftest._demo_connects == [("127.0.0.1", port)]
    conftest._demo_connects.clear()


def test_the_sessions_startup_heap_is_frozen() -> None:
    # Full collections then scan only what the tests create, short enough not
    # to outlast a send's connect timeout (tests/conftest.py, pytest_collection_finish).
    assert gc.get_freeze_count() > 100_000
