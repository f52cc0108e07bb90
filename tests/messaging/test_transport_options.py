"""WEBSOCKETS["transport"] as {"BACKEND", "OPTIONS"}: each transport reads its own options.

Precedence for each option: OPTIONS, else the flat send_* key, else the default.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import ImproperlyConfigured

from django_aws_api_gateway_websockets.aiohttp_transport import AiohttpTransport
from django_aws_api_gateway_websockets.conf import conf
from django_aws_api_gateway_websockets.transport import (
    BotoTransport,
    Outcome,
    Target,
    clear_transport_cache,
    get_transport,
)
from django_aws_api_gateway_websockets.transport_options import AiohttpOptions, BotoOptions

from .management_api import ManagementApiStandIn

AIOHTTP = "django_aws_api_gateway_websockets.aiohttp_transport.AiohttpTransport"
BOTO = "django_aws_api_gateway_websockets.transport.BotoTransport"


@pytest.fixture(autouse=True)
def fresh_transports() -> Any:
    clear_transport_cache()
    yield
    clear_transport_cache()


def send_to_a_failing_connection(
    transport: AiohttpTransport | BotoTransport, management_api: ManagementApiStandIn
) -> int:
    """Requests one POST to a connection answering 503 took: the attempts in effect."""
    management_api.statuses["c"] = 503
    endpoint = f"{management_api.api_endpoint.replace('ws://', 'http://')}/prod"
    [delivery] = transport.post_to_connections([Target(endpoint, "c")], b"{}")
    assert delivery.outcome is Outcome.FAILED
    return management_api.count


def with_websockets(settings: Any, **keys: Any) -> None:
    settings.WEBSOCKETS = {**settings.WEBSOCKETS, "send_backoff_base_seconds": 0, **keys}


def test_options_given_to_the_default_transport_are_used(
    settings: Any, management_api: ManagementApiStandIn
) -> None:
    with_websockets(settings, transport={"BACKEND": AIOHTTP, "OPTIONS": {"max_attempts": 2}})

    assert isinstance(get_transport(), AiohttpTransport)
    assert send_to_a_failing_connection(get_transport(), management_api) == 2


def test_options_win_over_the_flat_key_and_the_flat_key_over_the_default(
    settings: Any, management_api: ManagementApiStandIn
) -> None:
    with_websockets(
        settings,
        send_max_attempts=3,
        send_max_in_flight=7,
        transport={"BACKEND": AIOHTTP, "OPTIONS": {"max_attempts": 1}},
    )

    options = conf.transport_options(AiohttpOptions)

    assert (options.max_attempts, options.max_in_flight) == (1, 7)
    assert options.rate_initial_per_second == AiohttpOptions.rate_initial_per_second.default
    assert send_to_a_failing_connection(AiohttpTransport(), management_api) == 1


def test_a_bare_dotted_path_still_names_the_transport_and_flat_keys_still_apply(
    settings: Any, management_api: ManagementApiStandIn
) -> None:
    with_websockets(settings, transport=BOTO, send_max_attempts=2, send_concurrency=3)

    assert isinstance(get_transport(), BotoTransport)
    assert conf.transport_options(BotoOptions).concurrency == 3
    assert send_to_a_failing_connection(get_transport(), management_api) == 2


def test_options_reach_only_the_transport_they_were_given_for(settings: Any) -> None:
    with_websockets(settings, transport={"BACKEND": BOTO, "OPTIONS": {"max_attempts": 5}})

    assert conf.transport_options(BotoOptions).max_attempts == 5
    # A default transport made by hand (override_transport in a test) keeps the
    # flat key (the suite's settings set one) or the default.
    flat = settings.WEBSOCKETS.get("send_max_attempts", AiohttpOptions.max_attempts.default)
    assert conf.transport_options(AiohttpOptions).max_attempts == flat != 5


def test_boto_options_configure_its_client(
    settings: Any, management_api: ManagementApiStandIn
) -> None:
    with_websockets(
        settings,
        transport={"BACKEND": BOTO, "OPTIONS": {"max_attempts": 2, "read_timeout_seconds": 4}},
    )

    assert send_to_a_failing_connection(get_transport(), management_api) == 2


def test_a_backend_left_out_means_the_default_transport(settings: Any) -> None:
    with_websockets(settings, transport={"OPTIONS": {"max_in_flight": 9}})

    assert isinstance(get_transport(), AiohttpTransport)
    assert conf.transport_options(AiohttpOptions).max_in_flight == 9


def test_a_backend_that_cannot_be_imported_is_refused_clearly(settings: Any) -> None:
    with_websockets(settings, transport={"BACKEND": "nowhere.Transport"})

    with pytest.raises(ImproperlyConfigured, match="'nowhere.Transport' cannot be imported"):
        get_transport()
