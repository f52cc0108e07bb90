"""The pytest plugin: fixtures for testing WebSocket views, with no import needed.

pytest loads this module through the ``pytest11`` entry point in every project
that installed the package, before Django is configured and whether or not
pytest-django is installed. So nothing from Django or this app is imported at
module level: each fixture imports what it needs when a test asks for it.
``ws_gateway`` and ``ws_client`` use pytest-django's ``db`` and ``client``.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from django.test import Client

    from ..models import ApiGateway
    from .capture import Outbox
    from .client import WebSocketTestClient

TEST_API_ID = "pytestapi1"
# Where send_message would post if a test forgot ws_outbox: a local port that
# refuses connections, so that a test never reaches AWS by accident.
UNREACHABLE_ENDPOINT = "ws://127.0.0.1:9"


@pytest.fixture
def ws_outbox() -> Iterator[Outbox]:
    """Every send during the test lands in this outbox instead of API Gateway."""
    from .capture import capture_messages

    with capture_messages() as outbox:
        yield outbox


@pytest.fixture
def ws_path() -> str:
    """The URL of your WebSocketView without its ``<slug:route>``; override it in conftest.py."""
    return "/ws/"


@pytest.fixture
def ws_gateway(db: None, ws_path: str) -> ApiGateway:
    """A registered ``ApiGateway`` whose integrations point at ``ws_path``."""
    from ..models import ApiGateway

    return ApiGateway.objects.create(
        api_name="pytest",
        api_id=TEST_API_ID,
        target_base_endpoint=f"https://testserver{ws_path}",
        api_endpoint=UNREACHABLE_ENDPOINT,
    )


@pytest.fixture
def ws_client(ws_gateway: ApiGateway, ws_path: str, client: Client) -> WebSocketTestClient:
    """``ws_gateway`` in front of your view; log in with ``client``, then
    ``connect(with_token=True)`` for a view with ``USE_WS_TOKEN`` (the default)."""
    from .client import WebSocketTestClient

    return WebSocketTestClient(ws_path, api_id=ws_gateway.api_id, client=client)
