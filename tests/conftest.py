"""Fixtures shared by every test package. Each area keeps its own in its folder."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractUser

from django_aws_api_gateway_websockets import aws
from django_aws_api_gateway_websockets.gateway_auth import clear_gateway_cache
from django_aws_api_gateway_websockets.models import ApiGateway

API_ID = "testapi123"


@pytest.fixture(autouse=True)
def _fresh_caches() -> Iterator[None]:
    clear_gateway_cache()
    aws.clear_client_cache()
    yield
    clear_gateway_cache()
    aws.clear_client_cache()


@pytest.fixture
def gateway(db: None) -> ApiGateway:
    return ApiGateway.objects.create(
        api_name="Test API",
        target_base_endpoint="https://app.example.com/ws/",
        api_id=API_ID,
        api_endpoint="ws://127.0.0.1:8001",
    )


@pytest.fixture
def user(db: None) -> AbstractUser:
    return get_user_model().objects.create_user(  # type: ignore[no-any-return]
        username="alice", password="correct horse battery staple"
    )
