"""runwebsocketgateway: an ApiGateway record as a local gateway config."""

from __future__ import annotations

import logging
import socket
from collections.abc import Iterator
from io import StringIO
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.test import override_settings

from django_aws_api_gateway_websockets import wire
from django_aws_api_gateway_websockets.local_gateway import GatewayConfig, Limits
from django_aws_api_gateway_websockets.management.commands import runwebsocketgateway
from django_aws_api_gateway_websockets.models import ApiGateway, ApiGatewayAdditionalRoute
from django_aws_api_gateway_websockets.provisioning import export_local

pytestmark = pytest.mark.django_db


@pytest.fixture
def record() -> ApiGateway:
    gateway = ApiGateway.objects.create(
        api_name="local", target_base_endpoint="http://127.0.0.1:8000/ws/", stage_name="dev"
    )
    ApiGatewayAdditionalRoute.objects.create(
        api_gateway=gateway,
        name="chat",
        route_key="chat",
        integration_url="http://127.0.0.1:8000/chat/x",
    )
    return gateway


@override_settings(WEBSOCKETS={"gateway_secret": ["new-secret", "old-secret"]})
def test_config_serves_what_provisioning_would_create(record: ApiGateway) -> None:
    record.api_id = "abc123"
    config = export_local.config_for_gateway(record, verbose=True)
    assert dict(config.routes) == {
        "$connect": "http://127.0.0.1:8000/ws/connect",
        "$disconnect": "http://127.0.0.1:8000/ws/disconnect",
        "$default": "http://127.0.0.1:8000/ws/default",
        "chat": "http://127.0.0.1:8000/chat/x",
    }
    assert dict(config.static_headers) == {wire.GATEWAY_SECRET_HEADER: "new-secret"}
    assert config.two_way_routes == frozenset({"$default"})
    assert (config.api_id, config.stage, config.verbose) == ("abc123", "dev", True)
    assert config.route_selection_expression == record.route_selection_expression


def test_without_a_secret_no_static_header_is_sent(record: ApiGateway) -> None:
    record.api_id = "abc123"
    assert dict(export_local.config_for_gateway(record).static_headers) == {}


def test_only_quoted_header_parameters_are_static() -> None:
    assert export_local.static_headers(
        {
            "integration.request.header.Connectionid": "context.connectionId",
            "integration.request.header.X-Static": "'value'",
            "integration.request.querystring.q": "'not a header'",
        }
    ) == {"X-Static": "value"}


def test_lambda_records_cannot_be_served_locally(record: ApiGateway) -> None:
    record.api_id = "abc123"
    record.integration_type = "lambda"
    record.lambda_function_arn = "arn:aws:lambda:eu-west-1:123456789012:function:ws"
    with pytest.raises(export_local.LocalGatewayError, match="HTTP endpoints only"):
        export_local.config_for_gateway(record)


@override_settings(WEBSOCKETS={"gateway_secret": "it's"})
def test_a_record_provisioning_would_refuse_is_refused_here_too(record: ApiGateway) -> None:
    record.api_id = "abc123"
    with pytest.raises(export_local.LocalGatewayError, match="single quote"):
        export_local.config_for_gateway(record)


@pytest.mark.parametrize(
    ("host", "endpoint"),
    [
        ("127.0.0.1", "ws://127.0.0.1:9001"),
        ("0.0.0.0", "ws://127.0.0.1:9001"),
        ("::1", "ws://[::1]:9001"),
    ],
)
def test_attach_points_the_record_at_the_local_gateway(
    record: ApiGateway, host: str, endpoint: str
) -> None:
    export_local.attach_local_endpoint(record, host, 9001)
    record.refresh_from_db()
    assert record.api_endpoint == endpoint
    assert wire.is_valid_api_id(record.api_id) and len(record.api_id) == 10
    assert record.management_endpoint_url == endpoint.replace("ws://", "http://") + "/dev"
    kept = record.api_id
    export_local.attach_local_endpoint(record, host, 9002)
    assert record.api_id == kept


def test_a_deployed_record_is_left_alone(record: ApiGateway) -> None:
    record.api_created = True
    record.api_endpoint = "wss://abc.execute-api.eu-west-1.amazonaws.com"
    record.save()
    with pytest.raises(export_local.LocalGatewayError, match="deployed in AWS"):
        export_local.attach_local_endpoint(record, "127.0.0.1", 9001)
    record.refresh_from_db()
    assert record.api_endpoint == "wss://abc.execute-api.eu-west-1.amazonaws.com"


def test_choosing_a_record() -> None:
    with pytest.raises(export_local.LocalGatewayError, match="no ApiGateway record"):
        export_local.choose_gateway(None)
    first = ApiGateway.objects.create(api_name="a", target_base_endpoint="http://x/ws/")
    assert export_local.choose_gateway(None) == first
    second = ApiGateway.objects.create(api_name="b", target_base_endpoint="http://x/ws/")
    with pytest.raises(export_local.LocalGatewayError, match="choose one with --api"):
        export_local.choose_gateway(None)
    assert export_local.choose_gateway(second.pk) == second
    with pytest.raises(export_local.LocalGatewayError, match="no ApiGateway with pk=999"):
        export_local.choose_gateway(999)


class FakeRunningGateway:
    url = "ws://127.0.0.1:9001/dev"


def test_command_records_the_endpoint_and_serves(
    record: ApiGateway, monkeypatch: pytest.MonkeyPatch
) -> None:
    served: list[tuple[GatewayConfig, str, int]] = []

    def fake_run(config: GatewayConfig, host: str, port: int, *, on_ready: Any) -> None:
        # The real run() blocks until Ctrl-C; tests/e2e runs it for real.
        served.append((config, host, port))
        on_ready(FakeRunningGateway())

    monkeypatch.setattr(runwebsocketgateway, "run", fake_run)
    out = StringIO()
    call_command("runwebsocketgateway", "--port", "9001", stdout=out)
    record.refresh_from_db()
    ((config, host, port),) = served
    assert (host, port) == ("127.0.0.1", 9001)
    assert config.api_id == record.api_id != ""
    assert "clients connect to   ws://127.0.0.1:9001/dev" in out.getvalue()
    assert "Management API at    http://127.0.0.1:9001/dev" in out.getvalue()


def test_command_accepts_every_local_gateway_limit(
    record: ApiGateway, monkeypatch: pytest.MonkeyPatch
) -> None:
    served: list[GatewayConfig] = []
    monkeypatch.setattr(
        runwebsocketgateway, "run", lambda config, *args, **kwargs: served.append(config)
    )
    options = {
        "--max-message-bytes": ("max_message_bytes", "1000"),
        "--max-frame-bytes": ("max_frame_bytes", "100"),
        "--idle-timeout": ("idle_timeout_seconds", "1.5"),
        "--max-connection-duration": ("max_connection_duration_seconds", "60"),
        "--integration-timeout": ("integration_timeout_seconds", "2"),
        "--new-connections-per-second": ("new_connections_per_second", "10"),
        "--handshake-timeout": ("handshake_timeout_seconds", "2.5"),
        "--max-pending-handshakes": ("max_pending_handshakes", "40"),
        "--throttle-rate": ("throttle_rate", "2000"),
        "--throttle-burst": ("throttle_burst", "1000"),
    }
    argv = [item for flag, (_, value) in options.items() for item in (flag, value)]
    call_command("runwebsocketgateway", *argv, stdout=StringIO())
    (config,) = served
    # Every Limits field has its option.
    assert {name for name, _ in options.values()} == set(Limits.__dataclass_fields__)
    for name, value in options.values():
        assert getattr(config.limits, name) == float(value)
    assert config.api_id == ApiGateway.objects.get(pk=record.pk).api_id


def test_an_invalid_limit_is_a_command_error(record: ApiGateway) -> None:
    with pytest.raises(CommandError, match="handshake_timeout_seconds must be positive"):
        call_command("runwebsocketgateway", "--handshake-timeout", "0")


def test_command_errors_are_command_errors() -> None:
    with pytest.raises(CommandError, match="no ApiGateway record"):
        call_command("runwebsocketgateway")


def test_event_lines_are_shown_unless_logging_routes_them() -> None:
    logger = logging.getLogger(runwebsocketgateway.LOGGER_NAME)
    saved = (logger.handlers[:], logger.level, logger.propagate)
    try:
        logger.handlers.clear()
        logger.propagate = False
        logger.setLevel(logging.NOTSET)
        runwebsocketgateway.show_event_lines()
        assert len(logger.handlers) == 1 and logger.level == logging.INFO
        runwebsocketgateway.show_event_lines()
        assert len(logger.handlers) == 1, "a second call must not add a second handler"
    finally:
        logger.handlers[:], logger.level, logger.propagate = saved[0], saved[1], saved[2]


def test_the_source_ip_mapping_is_not_a_static_header(record: ApiGateway) -> None:
    record.api_id = "abc123"
    parameters = {
        f"integration.request.header.{wire.SOURCE_IP_HEADER}": "context.identity.sourceIp",
        f"integration.request.header.{wire.GATEWAY_SECRET_HEADER}": "'s'",
    }
    assert export_local.static_headers(parameters) == {wire.GATEWAY_SECRET_HEADER: "s"}
    # The local gateway sets the source IP header itself, from the client's address.
    assert wire.SOURCE_IP_HEADER not in export_local.config_for_gateway(record).static_headers


@pytest.mark.parametrize(("given", "expected"), [(None, 0.0), ("0.3", 0.3), ("1", 1.0)])
def test_disconnect_drop_rate_reaches_the_config(
    record: ApiGateway, monkeypatch: pytest.MonkeyPatch, given: str | None, expected: float
) -> None:
    served: list[GatewayConfig] = []
    monkeypatch.setattr(
        runwebsocketgateway, "run", lambda config, host, port, on_ready: served.append(config)
    )
    extra = [] if given is None else ["--disconnect-drop-rate", given]
    call_command("runwebsocketgateway", "--port", "9001", *extra, stdout=StringIO())
    assert served[0].disconnect_drop_rate == expected
    assert served[0].api_id == ApiGateway.objects.get().api_id


@pytest.mark.parametrize("given", ["1.5", "-0.1", "half"])
def test_a_bad_disconnect_drop_rate_is_refused(record: ApiGateway, given: str) -> None:
    with pytest.raises(CommandError, match="disconnect-drop-rate"):
        call_command("runwebsocketgateway", "--disconnect-drop-rate", given)


@pytest.fixture
def first_gateway() -> Iterator[str]:
    """A port something listens on, standing in for a gateway started earlier."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        yield f"ws://127.0.0.1:{listener.getsockname()[1]}"


def run_second_gateway(
    monkeypatch: pytest.MonkeyPatch, record: ApiGateway, port: str
) -> tuple[str, str, str]:
    """Run the command on ``port``; the endpoint the record had while it ran, and its output."""
    during: list[str] = []

    def fake_run(config: GatewayConfig, host: str, port: int, *, on_ready: Any) -> None:
        during.append(ApiGateway.objects.get(pk=record.pk).api_endpoint)
        on_ready(FakeRunningGateway())

    monkeypatch.setattr(runwebsocketgateway, "run", fake_run)
    out, err = StringIO(), StringIO()
    call_command("runwebsocketgateway", "--port", port, stdout=out, stderr=err)
    return during[0], out.getvalue(), err.getvalue()


def test_a_second_gateway_gives_the_record_back_when_it_stops(
    record: ApiGateway, monkeypatch: pytest.MonkeyPatch, first_gateway: str
) -> None:
    record.api_endpoint = first_gateway
    record.save()

    during, out, err = run_second_gateway(monkeypatch, record, "9002")

    assert during == "ws://127.0.0.1:9002"
    assert f"pointed at {first_gateway}, where a gateway still runs" in err
    assert f"points back at {first_gateway} when this gateway stops" in err
    record.refresh_from_db()
    assert record.api_endpoint == first_gateway
    assert f"'local' points at {first_gateway} again." in out


def test_a_stopped_gateways_endpoint_is_not_restored(
    record: ApiGateway, monkeypatch: pytest.MonkeyPatch
) -> None:
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        record.api_endpoint = f"ws://127.0.0.1:{closed.getsockname()[1]}"  # not listening
    record.save()

    _, out, err = run_second_gateway(monkeypatch, record, "9002")

    assert err == ""
    record.refresh_from_db()
    assert record.api_endpoint == "ws://127.0.0.1:9002"
    assert "again" not in out


def test_a_record_taken_by_a_third_gateway_meanwhile_is_left_to_it(
    record: ApiGateway, first_gateway: str
) -> None:
    record.api_endpoint = first_gateway
    record.save()
    previous = export_local.attach_local_endpoint(record, "127.0.0.1", 9002)
    assert previous == first_gateway
    ApiGateway.objects.filter(pk=record.pk).update(api_endpoint="ws://127.0.0.1:9003")

    assert not export_local.restore_local_endpoint(record, "ws://127.0.0.1:9002", previous)
    assert ApiGateway.objects.get(pk=record.pk).api_endpoint == "ws://127.0.0.1:9003"


@pytest.mark.django_db(transaction=True)
def test_the_record_is_given_back_on_a_fresh_connection_outside_a_transaction(
    monkeypatch: pytest.MonkeyPatch, first_gateway: str
) -> None:
    # As in a real run: autocommit, and a database connection idle since the
    # gateway started is replaced before the record is written back.
    record = ApiGateway.objects.create(
        api_name="local",
        target_base_endpoint="http://127.0.0.1:8000/ws/",
        api_endpoint=first_gateway,
    )

    during, out, _ = run_second_gateway(monkeypatch, record, "9002")

    assert during == "ws://127.0.0.1:9002"
    assert ApiGateway.objects.get(pk=record.pk).api_endpoint == first_gateway
    assert "points at" in out


def test_a_lambda_authorizer_is_played_by_the_shipped_one_or_the_given_one(
    record: ApiGateway,
) -> None:
    record.api_id = "abc123"
    record.connect_authorization = "request"
    record.authorizer_function_arn = "arn:aws:lambda:eu-west-1:123456789012:function:auth"
    record.authorizer_identity_sources = ["route.request.header.Authorization"]
    record.authorizer_context_keys = ["sub"]

    shipped = export_local.config_for_gateway(record).authorizer
    given = export_local.config_for_gateway(record, authorizer="http://127.0.0.1:9/auth").authorizer

    assert shipped is not None and given is not None
    assert shipped.target == export_local.SHIPPED_AUTHORIZER
    assert shipped.identity_sources == ("route.request.header.Authorization",)
    assert shipped.context_keys == ("sub",)
    assert given.is_url


@override_settings(AWS_ACCESS_KEY_ID="AKIDLOCAL", AWS_SECRET_ACCESS_KEY="local-secret")
def test_aws_iam_is_checked_against_the_projects_key(record: ApiGateway) -> None:
    record.api_id = "abc123"
    record.connect_authorization = "iam"

    iam = export_local.config_for_gateway(record).iam

    assert iam is not None
    assert dict(iam.keys) == {"AKIDLOCAL": "local-secret"}
    assert iam.region == "eu-west-1"


@override_settings(AWS_ACCESS_KEY_ID=None, AWS_SECRET_ACCESS_KEY=None)
def test_aws_iam_without_a_key_is_a_clear_error(record: ApiGateway) -> None:
    record.api_id = "abc123"
    record.connect_authorization = "iam"

    with pytest.raises(export_local.LocalGatewayError, match="AWS_ACCESS_KEY_ID"):
        export_local.config_for_gateway(record)
