"""The admin's provisioning actions against moto in server mode (tests/provisioning)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.urls import reverse

# The same AWS stand-in as the provisioning tests: fresh moto state for every test.
from tests.provisioning.conftest import (  # noqa: F401
    apigw,
    aws_endpoint,
    lambda_arn,
    moto_server,
    record,
)

INLINE = "additional_routes"


def url(name: str, *args: object) -> str:
    return reverse(f"admin:django_aws_api_gateway_websockets_apigateway_{name}", args=args)


def shown_messages(response: Any) -> list[tuple[str, str]]:
    """(level, text) of the messages on the page a followed redirect ended on."""
    return [(message.level_tag, str(message)) for message in response.context["messages"]]


@pytest.fixture
def created(record: Any) -> Any:  # noqa: F811
    record.create_gateway()
    record.refresh_from_db()
    return record


def change_form(gateway: Any, routes: list[dict[str, str]], **overrides: str) -> dict[str, str]:
    """POST data for the change page: the record as it is, with ``overrides``."""
    data = {
        name: str(getattr(gateway, name))
        for name in (
            "api_name",
            "api_description",
            "default_channel_name",
            "integration_type",
            "target_base_endpoint",
            "lambda_function_arn",
            "integration_timeout_ms",
            "route_selection_expression",
            "route_key",
            "api_key_selection_expression",
            "stage_name",
            "stage_description",
            "domain_name",
            "certificate_arn",
            "hosted_zone_id",
            "connect_authorization",
            "authorizer_function_arn",
        )
    }
    # The page's hidden copy of a field with a callable default (tags=dict).
    for name in ("tags", "authorizer_identity_sources", "authorizer_context_keys"):
        data[name] = data[f"initial-{name}"] = json.dumps(getattr(gateway, name))
    initial = sum(1 for route in routes if route.get("id"))
    data.update(
        {
            f"{INLINE}-TOTAL_FORMS": str(len(routes)),
            f"{INLINE}-INITIAL_FORMS": str(initial),
            f"{INLINE}-MIN_NUM_FORMS": "0",
            f"{INLINE}-MAX_NUM_FORMS": "1000",
        }
    )
    for index, route in enumerate(routes):
        for key, value in route.items():
            data[f"{INLINE}-{index}-{key}"] = value
        data[f"{INLINE}-{index}-api_gateway"] = str(gateway.pk)
    data.update(overrides)
    return data
