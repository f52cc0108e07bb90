"""The local gateway plays a Lambda REQUEST authorizer on $connect."""

from __future__ import annotations

import json
import threading
from typing import Any

import pytest
from websockets.exceptions import InvalidStatus

from django_aws_api_gateway_websockets import wire
from django_aws_api_gateway_websockets.local_gateway.config import Limits, RequestAuthorizer

from .conftest import API_ID, Backend, GatewayFactory, ws_connect

HERE = "tests.local_gateway.test_authorizer"
# The events the authorizers below were called with.
EVENTS: list[dict[str, Any]] = []


@pytest.fixture(autouse=True)
def _forget_events() -> None:
    EVENTS.clear()


def allow_with_context(event: dict[str, Any], context: Any) -> dict[str, Any]:
    EVENTS.append(event)
    return wire.authorizer_policy(
        principal_id="alice",
        allow=True,
        resource=event["methodArn"],
        context={"user_id": 42, "is_admin": True, "plan": "pro", "unmapped": "x"},
    )


def deny(event: dict[str, Any], context: Any) -> dict[str, Any]:
    EVENTS.append(event)
    return wire.authorizer_policy(principal_id="alice", allow=False, resource=event["methodArn"])


def unauthorized(event: dict[str, Any], context: Any) -> dict[str, Any]:
    EVENTS.append(event)
    raise Exception(wire.AUTHORIZER_UNAUTHORIZED)


def broken(event: dict[str, Any], context: Any) -> dict[str, Any]:
    raise KeyError("bug")


RELEASE = threading.Event()


def stuck(event: dict[str, Any], context: Any) -> dict[str, Any]:
    # Held until the test is done with it: longer than the gateway waits.
    RELEASE.wait(10)
    return allow_with_context(event, context)


def authorizer(target: str, **options: Any) -> RequestAuthorizer:
    options.setdefault("identity_sources", ["route.request.querystring.access_token"])
    options.setdefault("context_keys", ["user_id", "is_admin", "plan"])
    return RequestAuthorizer(target, **options)


def refused_status(url: str, **options: Any) -> int:
    with pytest.raises(InvalidStatus) as refused, ws_connect(url, **options):
        pass
    return refused.value.response.status_code


def test_allow_forwards_the_mapped_context_and_drops_forged_copies(
    backend: Backend, start_gateway_thread: GatewayFactory
) -> None:
    gateway_thread = start_gateway_thread(authorizer=authorizer(f"{HERE}.allow_with_context"))

    with ws_connect(
        f"{gateway_thread.url}?access_token=abc&channel=room",
        additional_headers={"X-Ws-Authorizer-Plan": "forged", "X-Ws-Authorizer-Role": "root"},
        user_agent_header="App/2.0",
    ):
        (request,) = backend.wait_for("connect")

    headers = request.headers
    assert headers["X-Ws-Authorizer-User-Id"] == "42"
    assert headers["X-Ws-Authorizer-Is-Admin"] == "true"
    assert headers.getall("X-Ws-Authorizer-Plan") == ["pro"]
    assert "X-Ws-Authorizer-Role" not in headers
    assert "X-Ws-Authorizer-Unmapped" not in headers
    assert wire.read_authorizer_context(headers) == {
        "user_id": "42",
        "is_admin": "true",
        "plan": "pro",
    }
    (event,) = EVENTS
    assert event["type"] == "REQUEST"
    assert event["methodArn"].endswith(f":{API_ID}/production/$connect")
    assert event["queryStringParameters"] == {"access_token": "abc", "channel": "room"}
    assert event["requestContext"]["eventType"] == "CONNECT"
    assert event["requestContext"]["connectionId"] == headers["Connectionid"]
    assert event["requestContext"]["identity"]["userAgent"] == "App/2.0"


def test_deny_is_a_403_handshake_and_django_is_never_called(
    backend: Backend, start_gateway_thread: GatewayFactory
) -> None:
    gateway_thread = start_gateway_thread(authorizer=authorizer(f"{HERE}.deny"))

    assert refused_status(f"{gateway_thread.url}?access_token=abc") == 403
    assert len(EVENTS) == 1
    assert backend.received("connect") == []


def test_unauthorized_is_a_401_handshake(
    backend: Backend, start_gateway_thread: GatewayFactory
) -> None:
    gateway_thread = start_gateway_thread(authorizer=authorizer(f"{HERE}.unauthorized"))

    assert refused_status(f"{gateway_thread.url}?access_token=abc") == 401
    assert backend.received("connect") == []


def test_missing_identity_source_is_401_without_calling_the_authorizer(
    backend: Backend, start_gateway_thread: GatewayFactory
) -> None:
    gateway_thread = start_gateway_thread(
        authorizer=authorizer(
            f"{HERE}.allow_with_context", identity_sources=["route.request.header.Authorization"]
        )
    )

    assert refused_status(f"{gateway_thread.url}?access_token=abc") == 401
    assert EVENTS == []
    with ws_connect(gateway_thread.url, additional_headers={"Authorization": "Bearer abc"}):
        backend.wait_for("connect")
    assert len(EVENTS) == 1


def test_a_failing_authorizer_is_a_500_handshake(
    backend: Backend, start_gateway_thread: GatewayFactory
) -> None:
    gateway_thread = start_gateway_thread(authorizer=authorizer(f"{HERE}.broken"))

    assert refused_status(f"{gateway_thread.url}?access_token=abc") == 500
    assert backend.received("connect") == []


def test_a_slow_authorizer_is_a_500_handshake_after_the_integration_timeout(
    backend: Backend, start_gateway_thread: GatewayFactory
) -> None:
    gateway_thread = start_gateway_thread(
        authorizer=authorizer(f"{HERE}.stuck"), limits=Limits(integration_timeout_seconds=0.2)
    )
    RELEASE.clear()
    try:
        assert refused_status(f"{gateway_thread.url}?access_token=abc") == 500
    finally:
        RELEASE.set()
    assert backend.received("connect") == []


def test_url_authorizer_gets_the_event_and_answers_the_policy(
    backend: Backend, start_gateway_thread: GatewayFactory
) -> None:
    policy = wire.authorizer_policy(
        principal_id="svc", allow=True, resource="*", context={"plan": "free"}
    )
    backend.answer("authorize", body=json.dumps(policy).encode())
    gateway_thread = start_gateway_thread(authorizer=authorizer(backend.url + "authorize"))

    with ws_connect(f"{gateway_thread.url}?access_token=abc"):
        (connect,) = backend.wait_for("connect")

    assert connect.headers["X-Ws-Authorizer-Plan"] == "free"
    (call,) = backend.received("authorize")
    assert json.loads(call.body)["queryStringParameters"] == {"access_token": "abc"}


@pytest.mark.parametrize(("status", "handshake"), [(401, 401), (502, 500)])
def test_url_authorizer_refusals(
    backend: Backend, start_gateway_thread: GatewayFactory, status: int, handshake: int
) -> None:
    backend.answer("authorize", status=status)
    gateway_thread = start_gateway_thread(authorizer=authorizer(backend.url + "authorize"))

    assert refused_status(f"{gateway_thread.url}?access_token=abc") == handshake
    assert backend.received("connect") == []


@pytest.mark.parametrize(
    "options",
    [
        {"identity_sources": ["route.request.body.token"]},
        {"context_keys": ["User-Id"]},
        {"target": ""},
    ],
)
def test_bad_authorizer_configs_are_refused(options: dict[str, Any]) -> None:
    target = options.pop("target", f"{HERE}.deny")
    with pytest.raises(ValueError):
        authorizer(target, **options)
