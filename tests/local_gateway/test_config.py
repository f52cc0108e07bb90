"""The typed configuration and route selection expressions."""

from __future__ import annotations

import pytest

from django_aws_api_gateway_websockets import wire
from django_aws_api_gateway_websockets.local_gateway import GatewayConfig, Limits
from django_aws_api_gateway_websockets.local_gateway.routing import RouteSelector


def test_defaults_are_the_aws_quotas() -> None:
    limits = Limits()
    assert limits.max_message_bytes == wire.MAX_PAYLOAD_BYTES == 128 * 1024
    assert limits.max_frame_bytes == wire.MAX_FRAME_BYTES == 32 * 1024
    assert limits.idle_timeout_seconds == 600
    assert limits.max_connection_duration_seconds == 7200
    assert limits.integration_timeout_seconds == 29
    assert limits.new_connections_per_second == 500


def test_for_target_builds_the_provisioned_routes() -> None:
    config = GatewayConfig.for_target(
        "http://127.0.0.1:8000/ws", extra_routes={"chat": "http://127.0.0.1:8000/ws/chat"}
    )
    assert dict(config.routes) == {
        "$connect": "http://127.0.0.1:8000/ws/connect",
        "$disconnect": "http://127.0.0.1:8000/ws/disconnect",
        "$default": "http://127.0.0.1:8000/ws/default",
        "chat": "http://127.0.0.1:8000/ws/chat",
    }
    assert config.custom_route_keys == {"chat"}
    assert config.two_way_routes == {"$default"}
    assert config.stage == "production"


def test_config_is_frozen_all_the_way_down() -> None:
    routes = {"$default": "http://backend/default"}
    config = GatewayConfig(routes=routes, static_headers={"X-A": "1"})
    routes["$connect"] = "http://backend/connect"
    assert "$connect" not in config.routes
    with pytest.raises(TypeError):
        config.routes["x"] = "http://backend/x"  # type: ignore[index]
    with pytest.raises(AttributeError):
        config.stage = "dev"  # type: ignore[misc]


@pytest.mark.parametrize(
    "options",
    [
        {"routes": {"": "http://backend/x"}},
        {"routes": {"$other": "http://backend/x"}},
        {"routes": {"$default": "ftp://backend/x"}},
        {"routes": {"$default": "not a url"}},
        {"api_id": "bad id!"},
        {"stage": ""},
        {"stage": "a/b"},
        {"stage": "@connections"},
        {"disconnect_drop_rate": 1.5},
        {"disconnect_drop_rate": -0.1},
        {"route_selection_expression": "$request.header.x"},
    ],
)
def test_invalid_configs_are_refused(options: dict[str, object]) -> None:
    options.setdefault("routes", {"$default": "http://backend/default"})
    with pytest.raises(ValueError):
        GatewayConfig(**options)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "options",
    [
        {"max_message_bytes": 0},
        {"max_frame_bytes": -1},
        {"idle_timeout_seconds": 0},
        {"max_connection_duration_seconds": 0},
        {"new_connections_per_second": 0},
        {"integration_timeout_seconds": 0.01},
        {"integration_timeout_seconds": 30},
        {"throttle_rate": 0},
        {"throttle_rate": 10, "throttle_burst": -1},
        {"throttle_burst": 10},
    ],
)
def test_invalid_limits_are_refused(options: dict[str, float]) -> None:
    with pytest.raises(ValueError):
        Limits(**options)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "expression",
    [
        "$request.body.",
        "$request.body.a..b",
        "$request.body.a b",
        "$request.header.action",
        "action",
        "${request.body.a}/$request.body.b",
        "${context.routeKey}",
        "${request.body.}",
        "",
    ],
)
def test_unsupported_expressions_are_refused(expression: str) -> None:
    with pytest.raises(ValueError):
        RouteSelector(expression)


@pytest.mark.parametrize(
    ("expression", "body", "value"),
    [
        ("$request.body.action", b'{"action": "send"}', "send"),
        ("$request.body.action", '{"action": 1.5}', "1.5"),
        ("$request.body.action", '{"action": null}', None),
        ("$request.body.action", '{"action": {"b": [1, 2]}}', '{"b":[1,2]}'),
        ("$request.body.action", '"just a string"', None),
        ("$request.body.action", "not json", None),
        ("$request.body.action", b"\xff", None),
        ("${request.body.a}${request.body.b}", '{"a": "x", "b": 2}', "x2"),
    ],
)
def test_expression_values(expression: str, body: str | bytes, value: str | None) -> None:
    assert RouteSelector(expression).evaluate(body) == value
