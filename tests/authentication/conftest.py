"""Django behind the real local gateway, with a local OIDC provider: each auth mode end to end."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.contrib.auth.models import User

from django_aws_api_gateway_websockets import jwt_verification
from django_aws_api_gateway_websockets.local_gateway import GatewayConfig, GatewayThread
from django_aws_api_gateway_websockets.models import ApiGateway
from django_aws_api_gateway_websockets.transport import clear_transport_cache
from tests.oidc import OidcProvider, running_provider

API_ID = "authgw01"

StartGateway = Callable[..., GatewayThread]


@pytest.fixture
def provider(settings: Any) -> Iterator[OidcProvider]:
    jwt_verification.forget_keys()
    with running_provider() as provider:
        # Real sockets on a machine other suites share: patient sends.
        settings.WEBSOCKETS = provider.settings(
            # Apps and services send no Origin (docs/authentication.md).
            allow_missing_origin=True,
            send_connect_timeout_seconds=10.0,
            send_read_timeout_seconds=10.0,
        )
        clear_transport_cache()
        yield provider
    jwt_verification.forget_keys()
    clear_transport_cache()


@pytest.fixture
def alice(transactional_db: None) -> User:
    return User.objects.create_user(username="alice", password="irrelevant")


@pytest.fixture
def start_gateway(live_server: Any, transactional_db: None) -> Iterator[StartGateway]:
    """A local gateway in front of Django's view at ``path``, registered as an ApiGateway."""
    started: list[GatewayThread] = []

    def start(path: str = "/ws/", **options: Any) -> GatewayThread:
        target = f"{live_server.url}{path}"
        gateway = GatewayThread(GatewayConfig.for_target(target, api_id=API_ID, **options))
        started.append(gateway.start())
        ApiGateway.objects.create(
            api_name=f"auth {len(started)}",
            api_id=API_ID,
            api_endpoint=gateway.endpoint,
            target_base_endpoint=target,
        )
        return gateway

    yield start
    for gateway in started:
        gateway.stop()
