"""dagw.E011: a gateway on a custom domain needs a configured region to be signed for."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.checks import run_checks

from django_aws_api_gateway_websockets.models import ApiGateway


def e011(databases: list[str] | None = None) -> list[str]:
    return [
        message.msg
        for message in run_checks(databases=databases or ["default"])
        if message.id == "dagw.E011"
    ]


def gateway(endpoint: str) -> ApiGateway:
    return ApiGateway.objects.create(
        api_name="Custom", target_base_endpoint="https://app.example.com/ws/", api_endpoint=endpoint
    )


@pytest.fixture
def no_region(settings: Any) -> None:
    settings.AWS_GATEWAY_REGION_NAME = settings.AWS_REGION_NAME = None


@pytest.mark.django_db
@pytest.mark.usefixtures("no_region")
def test_a_custom_domain_without_a_region_is_an_error() -> None:
    record = gateway("wss://ws.example.com")

    assert e011() == [
        f"ApiGateway 'Custom' (pk={record.pk}) has api_endpoint 'wss://ws.example.com', whose "
        "host names no AWS region, and no region is configured: its Management API requests "
        "cannot be signed."
    ]


@pytest.mark.django_db
@pytest.mark.parametrize(
    "endpoint",
    [
        "wss://abc123.execute-api.eu-west-1.amazonaws.com",  # the host names its region
        "ws://127.0.0.1:8001",  # the local gateway
        "",
    ],
)
@pytest.mark.usefixtures("no_region")
def test_endpoints_that_name_their_region_or_are_local_need_none(endpoint: str) -> None:
    gateway(endpoint)

    assert e011() == []


@pytest.mark.django_db
def test_a_configured_region_signs_a_custom_domain(settings: Any) -> None:
    settings.AWS_GATEWAY_REGION_NAME = "eu-west-1"
    gateway("wss://ws.example.com")

    assert e011() == []


@pytest.mark.django_db
@pytest.mark.usefixtures("no_region")
def test_only_checks_that_ask_for_databases_read_them() -> None:
    gateway("wss://ws.example.com")

    assert [m for m in run_checks() if m.id == "dagw.E011"] == []
