"""Choosing a transport, and how boto3's answers become deliveries."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

import pytest
from botocore.exceptions import ClientError
from django.core.exceptions import ImproperlyConfigured

from django_aws_api_gateway_websockets import aws, transport
from django_aws_api_gateway_websockets.aiohttp_transport import AiohttpTransport
from django_aws_api_gateway_websockets.models import WebSocketSession
from django_aws_api_gateway_websockets.transport import (
    BotoTransport,
    Delivery,
    Outcome,
    Target,
    get_transport,
    override_transport,
)
from tests.conftest import MakeSession

from .conftest import MakeGateway
from .management_api import ManagementApiStandIn


class CountingTransport:
    """A third-party transport as a user would write one."""

    instances = 0

    def __init__(self) -> None:
        CountingTransport.instances += 1

    def post_to_connections(self, targets: Sequence[Target], data: bytes) -> list[Delivery]:
        return [Delivery(Outcome.SENT) for _ in targets]

    def delete_connections(self, targets: Sequence[Target]) -> list[Delivery]:
        return [Delivery(Outcome.SENT) for _ in targets]

    def get_connections(self, targets: Sequence[Target]) -> list[Delivery]:
        return [Delivery(Outcome.SENT) for _ in targets]


class NotATransport:
    pass


NOT_CALLABLE = 42


def test_the_default_transport_is_aiohttp_and_is_reused() -> None:
    first = get_transport()

    assert isinstance(first, AiohttpTransport)
    assert get_transport() is first


def test_a_transport_named_in_settings_is_made_once_per_path(settings: Any) -> None:
    settings.WEBSOCKETS = {"transport": f"{__name__}.CountingTransport"}
    before = CountingTransport.instances

    chosen = get_transport()

    assert isinstance(chosen, CountingTransport)
    assert get_transport() is chosen
    assert CountingTransport.instances == before + 1


@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("no.such.module.Transport", "cannot be imported"),
        (f"{__name__}.Missing", "cannot be imported"),
        (f"{__name__}.NOT_CALLABLE", "is not a class or a factory function"),
        (f"{__name__}.NotATransport", "lacks post_to_connections"),
    ],
)
def test_a_bad_transport_setting_is_explained(settings: Any, path: str, message: str) -> None:
    settings.WEBSOCKETS = {"transport": path}

    with pytest.raises(ImproperlyConfigured, match=message) as excinfo:
        get_transport()

    assert path in str(excinfo.value)


def test_override_transport_nests_and_restores() -> None:
    outer, inner = CountingTransport(), CountingTransport()

    with override_transport(outer):
        with override_transport(inner):
            assert get_transport() is inner
        assert get_transport() is outer
    assert isinstance(get_transport(), AiohttpTransport)


@pytest.mark.parametrize(
    ("response", "expected"),
    [
        (
            {"Error": {"Code": "GoneException"}, "ResponseMetadata": {"HTTPStatusCode": 410}},
            Delivery(Outcome.GONE),
        ),
        ({"ResponseMetadata": {"HTTPStatusCode": 410}}, Delivery(Outcome.GONE)),
        (
            {
                "Error": {"Code": "LimitExceededException", "Message": "Rate exceeded"},
                "ResponseMetadata": {"HTTPStatusCode": 429},
            },
            Delivery(Outcome.FAILED, "LimitExceededException (HTTP 429): Rate exceeded", True),
        ),
        (
            {"Error": {"Code": "InternalFailure"}, "ResponseMetadata": {"HTTPStatusCode": 503}},
            Delivery(Outcome.FAILED, "InternalFailure (HTTP 503)", retryable=True),
        ),
        ({"Error": {"Code": "Odd"}}, Delivery(Outcome.FAILED, "Odd")),
        ({}, Delivery(Outcome.FAILED, "UnknownError")),
    ],
)
def test_client_errors_map_to_deliveries(response: Any, expected: Delivery) -> None:
    error = ClientError(response, "PostToConnection")

    assert transport.delivery_for_client_error(error) == expected


def test_boto_transport_deletes_connections_through_the_stand_in(
    management_api: ManagementApiStandIn,
) -> None:
    endpoint = f"http://127.0.0.1:{management_api.port}/prod"
    management_api.gone.add("old")
    management_api.statuses["bad"] = 403

    deliveries = BotoTransport().delete_connections(
        [Target(endpoint, "live"), Target(endpoint, "old"), Target(endpoint, "bad")]
    )

    assert [d.outcome for d in deliveries] == [Outcome.SENT, Outcome.GONE, Outcome.FAILED]
    assert [(r.method, r.stage) for r in management_api.received] == [("DELETE", "prod")] * 3


def test_an_unexpected_error_in_one_call_is_logged_and_does_not_stop_the_others(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    class Broken:
        def post_to_connection(self, ConnectionId: str, Data: bytes) -> None:  # noqa: N803
            if ConnectionId == "boom":
                raise RuntimeError("kaput")

    monkeypatch.setattr(aws, "management_client", lambda endpoint_url: Broken())
    targets = [Target("http://x/prod", cid) for cid in ("ok", "boom", "ok2")]

    deliveries = BotoTransport().post_to_connections(targets, b"{}")

    assert deliveries[1] == Delivery(Outcome.FAILED, "RuntimeError: kaput")
    assert [deliveries[0].outcome, deliveries[2].outcome] == [Outcome.SENT, Outcome.SENT]
    assert "Unexpected error calling the Management API for boom" in caplog.text


class RaisingTransport(CountingTransport):
    def post_to_connections(self, targets: Sequence[Target], data: bytes) -> list[Delivery]:
        raise RuntimeError("transport bug")


class ShortTransport(CountingTransport):
    def post_to_connections(self, targets: Sequence[Target], data: bytes) -> list[Delivery]:
        return []


@pytest.mark.parametrize(
    ("broken", "reason", "logged"),
    [
        (RaisingTransport, "transport error: RuntimeError: transport bug", "transport raised"),
        (ShortTransport, "transport answered the wrong number", "answered 0 deliveries"),
    ],
)
def test_a_broken_transport_costs_failed_sends_not_an_exception(
    broken: type[CountingTransport],
    reason: str,
    logged: str,
    make_gateway: MakeGateway,
    make_session: MakeSession,
    caplog: pytest.LogCaptureFixture,
) -> None:
    gateway = make_gateway()
    make_session("a", gateway)
    make_session("b", gateway)

    with caplog.at_level(logging.WARNING), override_transport(broken()):
        result = WebSocketSession.objects.all().send_message({"x": 1})

    assert sorted(result.failed_ids) == ["a", "b"]
    assert result.errors["a"].startswith(reason)
    assert logged in caplog.text
    assert WebSocketSession.objects.filter(connected=True).count() == 2
