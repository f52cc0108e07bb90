"""Fixtures for channel history: sessions in channels, and an outbox that captures sends."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from django_aws_api_gateway_websockets.models import ApiGateway, WebSocketSession
from django_aws_api_gateway_websockets.testing import capture_messages
from django_aws_api_gateway_websockets.testing.capture import Outbox

MakeSession = Callable[..., WebSocketSession]


@pytest.fixture
def outbox() -> Iterator[Outbox]:
    with capture_messages() as captured:
        yield captured


@pytest.fixture
def make_session(gateway: ApiGateway) -> MakeSession:
    """A connected row in ``channel``, opened long enough ago that a 410 means gone."""

    def make(connection_id: str, channel: str = "news", **fields: Any) -> WebSocketSession:
        session = WebSocketSession.objects.create(
            connection_id=connection_id, channel_name=channel, api_gateway=gateway, **fields
        )
        WebSocketSession.objects.filter(pk=session.pk).update(
            created_on=timezone.now() - timedelta(minutes=5)
        )
        return session

    return make
