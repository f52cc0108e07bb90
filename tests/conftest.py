"""Fixtures shared by every test package. Each area keeps its own in its folder."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

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


# What each area's tests depend on, for the test matrix of scripts/test: an area
# that depends on neither the Django version nor the database runs in one leg
# only (docs/architecture.md, "The test matrix"). Paths are relative to tests/.
AREA_MARKERS = {
    "architecture": "django_free",
    "core/test_docs.py": "django_free",
    "core/test_wire.py": "django_free",
    "e2e/test_client_channels.py": "django_free",  # the JS client against a fake socket
    "local_gateway": "django_free",
    "provisioning": "django_free",
    "scripts": "django_free",
    "upgrade": "upgrade",
}
TESTS = Path(__file__).resolve().parent


def area_marker(path: Path) -> str | None:
    relative = path.resolve().relative_to(TESTS).as_posix()
    for area, marker in AREA_MARKERS.items():
        if relative == area or relative.startswith(f"{area}/"):
            return marker
    return None


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        marker = area_marker(item.path)
        if marker is not None:
            item.add_marker(marker)
