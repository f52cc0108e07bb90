"""Lambda events through the adapter into the test app's views."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from django.test import override_settings

from .events import DOMAIN

ALLOWED_HOSTS = ["app.example.com", "testserver", DOMAIN]


@pytest.fixture(autouse=True)
def _keep_test_transaction() -> Iterator[None]:
    """As Django's test client does: a request must not close the test's connection."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture(autouse=True)
def _api_domain_is_served() -> Iterator[None]:
    # Events carry the API's domain as their Host; Django must be told to serve it.
    with override_settings(ALLOWED_HOSTS=ALLOWED_HOSTS):
        yield


@pytest.fixture
def connection_id() -> str:
    return "L0SM9cOFvHcCIhw="
