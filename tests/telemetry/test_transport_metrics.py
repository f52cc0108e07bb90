"""The default transport counts each 429 (``throttled``) and each retry (``retried``)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from django_aws_api_gateway_websockets.conf import conf
from django_aws_api_gateway_websockets.models import ApiGateway, WebSocketSession
from django_aws_api_gateway_websockets.testing import WebSocketTestClient
from django_aws_api_gateway_websockets.transport import clear_transport_cache
from tests.messaging.management_api import ManagementApiStandIn

from .readings import Readings


@pytest.fixture
def management_api(gateway: ApiGateway) -> Iterator[ManagementApiStandIn]:
    server = ManagementApiStandIn().start()
    gateway.api_endpoint = server.api_endpoint
    gateway.save()
    clear_transport_cache()
    yield server
    server.stop()
    clear_transport_cache()


def test_throttled_and_retried_sends(
    readings: Readings,
    ws: WebSocketTestClient,
    management_api: ManagementApiStandIn,
    settings: Any,
) -> None:
    settings.WEBSOCKETS = {
        **conf.WEBSOCKETS,
        "send_max_attempts": 3,
        "send_backoff_base_seconds": 0.01,
        "connect_grace_seconds": 0,
    }
    throttled = ws.connect().connection_id
    failing = ws.connect().connection_id
    management_api.fail_first[throttled] = 2
    management_api.statuses[failing] = 503

    result = WebSocketSession.objects.filter(connection_id__in=[throttled, failing]).send_message(
        {"hi": 1}
    )

    assert (result.sent_ids, result.failed_ids) == ((throttled,), (failing,))
    assert readings.delta("websockets.sends", outcome="throttled", kind="multicast") == 2
    assert readings.delta("websockets.sends", outcome="retried", kind="multicast") == 2
    assert readings.delta("websockets.sends", outcome="sent", kind="multicast") == 1
    assert readings.delta("websockets.sends", outcome="failed", kind="multicast") == 1
