from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from django_aws_api_gateway_websockets.models import ApiGateway, WebSocketSession
from django_aws_api_gateway_websockets.transport import clear_transport_cache

from .management_api import ManagementApiStandIn

# Fast failures: no retries, short timeouts and a short throttle timeout unless
# a test asks for them.
SEND_SETTINGS = {
    "send_max_attempts": 1,
    "send_throttle_timeout_seconds": 0.3,
    "send_connect_timeout_seconds": 1.0,
    "send_read_timeout_seconds": 1.0,
}


def connected_ids() -> set[str]:
    """Connection ids of the rows still marked connected."""
    return set(
        WebSocketSession.objects.filter(connected=True).values_list("connection_id", flat=True)
    )


@pytest.fixture(autouse=True)
def _send_settings(settings: Any) -> Iterator[None]:
    settings.WEBSOCKETS = dict(SEND_SETTINGS)
    clear_transport_cache()
    yield
    clear_transport_cache()


@pytest.fixture
def management_api() -> Iterator[ManagementApiStandIn]:
    server = ManagementApiStandIn().start()
    yield server
    server.stop()


MakeGateway = Callable[..., ApiGateway]


@pytest.fixture
def make_gateway(db: None, management_api: ManagementApiStandIn) -> MakeGateway:
    """A gateway record whose Management API is the stand-in, under ``stage``."""

    def make(name: str = "Stand-in", stage: str = "", **fields: Any) -> ApiGateway:
        fields.setdefault("api_endpoint", management_api.api_endpoint)
        fields.setdefault("api_id", f"api-{name.lower().replace(' ', '-')}")
        return ApiGateway.objects.create(
            api_name=name,
            target_base_endpoint="https://app.example.com/ws/",
            stage_name=stage,
            **fields,
        )

    return make
