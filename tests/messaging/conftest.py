from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

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
MakeSession = Callable[..., WebSocketSession]


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


# Older than WEBSOCKETS["connect_grace_seconds"]: a 410 for it means the connection is gone.
OPEN_FOR_A_WHILE = 60.0


@pytest.fixture
def make_session(db: None) -> MakeSession:
    """A session row; ``opened_seconds_ago`` backdates its ``created_on``."""

    def make(
        connection_id: str,
        gateway: ApiGateway | None,
        *,
        opened_seconds_ago: float | None = None,
        **fields: Any,
    ) -> WebSocketSession:
        fields.setdefault("channel_name", "chat")
        session = WebSocketSession.objects.create(
            connection_id=connection_id, api_gateway=gateway, **fields
        )
        if opened_seconds_ago is not None:
            session.created_on = timezone.now() - timedelta(seconds=opened_seconds_ago)
            WebSocketSession.objects.filter(pk=session.pk).update(created_on=session.created_on)
        return session

    return make


# The shipped pytest fixture, used here as users would use it.
from django_aws_api_gateway_websockets.testing.capture import ws_outbox  # noqa: E402, F401


@pytest.fixture
def unused_port() -> int:
    """A loopback port nothing listens on."""
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])
