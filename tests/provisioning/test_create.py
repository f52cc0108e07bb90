"""create_gateway / createApiGateway against moto in server mode."""

from __future__ import annotations

from io import StringIO
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.test import override_settings

from django_aws_api_gateway_websockets.models import ApiGateway, ApiGatewayAdditionalRoute
from django_aws_api_gateway_websockets.provisioning import ProvisioningError, create_gateway

from .conftest import SECRET
from .harness import StandIns
from .helpers import integration_by_route, integrations, routes

pytestmark = pytest.mark.django_db

CONNECTION_ID = "integration.request.header.Connectionid"
SECRET_HEADER = "integration.request.header.X-Ws-Gateway-Secret"
SOURCE_IP = "integration.request.header.X-Ws-Source-Ip"


@override_settings(WEBSOCKETS={"gateway_secret": [SECRET, "older-secret"]})
def test_create_builds_the_api_described_by_the_record(
    record: ApiGateway, apigw: Any, aws_endpoint: StandIns
) -> None:
    ApiGatewayAdditionalRoute.objects.create(
        api_gateway=record, name="Chat", route_key="chat", integration_url="https://chat.example/ws"
    )

    record.create_gateway()

    record.refresh_from_db()
    api = apigw.get_api(ApiId=record.api_id)
    assert api["ProtocolType"] == "WEBSOCKET"
    assert api["Name"] == "Chat"
    assert api["Description"] == "Chat for the shop"
    assert api["RouteSelectionExpression"] == "$request.body.action"
    assert api["ApiKeySelectionExpression"] == "$request.header.x-api-key"
    assert api["Tags"] == {"team": "web", "managed-by": "django-aws-api-gateway-websockets"}

    by_route = integration_by_route(apigw, record.api_id)
    assert sorted(by_route) == ["$connect", "$default", "$disconnect", "chat"]
    assert {key: item["IntegrationUri"] for key, item in by_route.items()} == {
        "$connect": "https://app.example.com/ws/connect",
        "$disconnect": "https://app.example.com/ws/disconnect",
        "$default": "https://app.example.com/ws/default",
        "chat": "https://chat.example/ws",
    }
    for item in by_route.values():
        assert item["IntegrationType"] == "HTTP_PROXY"
        assert item["IntegrationMethod"] == "POST"
        assert item["TimeoutInMillis"] == 10_000
        # Only the current (first) secret is given to integrations.
        assert item["RequestParameters"] == {
            CONNECTION_ID: "context.connectionId",
            SOURCE_IP: "context.identity.sourceIp",
            SECRET_HEADER: f"'{SECRET}'",
        }
    api_routes = routes(apigw, record.api_id)
    assert api_routes["$default"]["RouteResponseSelectionExpression"] == "$default"
    assert "RouteResponseSelectionExpression" not in api_routes["$connect"]

    assert apigw.get_stage(ApiId=record.api_id, StageName="production")["StageName"]
    assert aws_endpoint.deployments == [
        {"api_id": record.api_id, "stage": "production", "deployment_id": record.deployment_id}
    ]
    assert record.api_created is True
    assert record.api_endpoint == f"wss://{record.api_id}.execute-api.eu-west-1.amazonaws.com"
    assert record.client_url == f"{record.api_endpoint}/production"
    assert record.provisioning_status == "ready"
    assert record.provisioning_error == ""
    assert record.provisioned_on is not None


def test_no_secret_configured_means_no_secret_header(record: ApiGateway, apigw: Any) -> None:
    record.stage_name = "live"
    record.stage_description = "Live traffic"
    record.save()

    record.create_gateway()

    for item in integrations(apigw, record.api_id).values():
        assert item["RequestParameters"] == {
            CONNECTION_ID: "context.connectionId",
            SOURCE_IP: "context.identity.sourceIp",
        }
    stage = apigw.get_stage(ApiId=record.api_id, StageName="live")
    assert stage["Description"] == "Live traffic"


def test_a_second_run_changes_nothing(record: ApiGateway, aws_endpoint: StandIns) -> None:
    create_gateway(record)
    writes_before = len(aws_endpoint.writes())

    changes = create_gateway(record)

    assert changes == []
    assert len(aws_endpoint.writes()) == writes_before
    assert len(aws_endpoint.deployments) == 1


@override_settings(WEBSOCKETS={"gateway_secret": SECRET})
def test_a_failure_midway_is_recorded_and_the_next_run_finishes(
    record: ApiGateway, apigw: Any, aws_endpoint: StandIns
) -> None:
    # $connect is created; creating $disconnect's route fails.
    aws_endpoint.fail_once("POST", r"/v2/apis/[^/]+/routes", skip=1)

    with pytest.raises(ProvisioningError) as raised:
        record.create_gateway()

    record.refresh_from_db()
    assert "CreateRoute" in str(raised.value)
    assert record.api_created is False
    assert record.provisioning_status == "failed"
    assert "CreateRoute: BadRequestException" in record.provisioning_error
    assert record.api_id  # kept, so the next run continues with this API
    assert sorted(routes(apigw, record.api_id)) == ["$connect"]
    assert len(integrations(apigw, record.api_id)) == 2  # $disconnect's is orphaned
    assert aws_endpoint.deployments == []

    progress: list[str] = []
    record.create_gateway(progress=progress.append)

    record.refresh_from_db()
    assert record.api_created is True
    assert record.provisioning_status == "ready"
    assert record.provisioning_error == ""
    assert sorted(routes(apigw, record.api_id)) == ["$connect", "$default", "$disconnect"]
    # The orphaned integration was reused, not duplicated.
    assert len(integrations(apigw, record.api_id)) == 3
    assert len(apigw.get_apis()["Items"]) == 1
    assert len(aws_endpoint.deployments) == 1
    assert not any("$connect" in line for line in progress if line.startswith("create"))


def test_a_failed_route_response_is_finished_by_the_next_run(
    record: ApiGateway, apigw: Any, aws_endpoint: StandIns
) -> None:
    # The route response exists but $default is not yet marked two-way.
    aws_endpoint.fail_once("PATCH", r"/v2/apis/[^/]+/routes/[^/]+")
    with pytest.raises(ProvisioningError):
        record.create_gateway()
    assert "RouteResponseSelectionExpression" not in routes(apigw, record.api_id)["$default"]

    changes = record.create_gateway()

    assert [str(change) for change in changes][0] == (
        "update route $default: add the $default route response"
    )
    assert routes(apigw, record.api_id)["$default"]["RouteResponseSelectionExpression"] == (
        "$default"
    )


def test_an_api_deleted_by_hand_is_created_again(record: ApiGateway, apigw: Any) -> None:
    record.create_gateway()
    old_id = record.api_id
    apigw.delete_api(ApiId=old_id)

    lines: list[str] = []
    record.create_gateway(progress=lines.append)

    assert record.api_id != old_id
    assert sorted(routes(apigw, record.api_id)) == ["$connect", "$default", "$disconnect"]
    assert f"API {old_id} does not exist in AWS; creating a new one" in lines


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"integration_timeout_ms": 30_000}, "between 50 and 29000"),
        ({"integration_timeout_ms": 49}, "between 50 and 29000"),
        ({"integration_type": "lambda"}, "needs lambda_function_arn"),
        ({"integration_type": "lambda", "lambda_function_arn": "nope"}, "not a Lambda function"),
        ({"target_base_endpoint": ""}, "needs target_base_endpoint"),
        ({"tags": ["a"]}, "tags must be a JSON object"),
    ],
)
def test_an_invalid_record_fails_before_any_aws_call(
    record: ApiGateway, aws_endpoint: StandIns, changes: dict[str, Any], message: str
) -> None:
    ApiGateway.objects.filter(pk=record.pk).update(**changes)
    record.refresh_from_db()

    with pytest.raises(ProvisioningError, match=message):
        record.create_gateway()

    assert aws_endpoint.requests == []
    record.refresh_from_db()
    assert record.provisioning_status == "failed"
    assert message in record.provisioning_error


@override_settings(WEBSOCKETS={"gateway_secret": "it's"})
def test_a_secret_that_cannot_be_a_static_value_is_refused(record: ApiGateway) -> None:
    with pytest.raises(ProvisioningError, match="single quote"):
        record.create_gateway()


def test_a_builtin_route_key_as_additional_route_is_refused(record: ApiGateway) -> None:
    ApiGatewayAdditionalRoute.objects.create(
        api_gateway=record, name="x", route_key="$connect", integration_url="https://x.example/"
    )
    with pytest.raises(ProvisioningError, match="is a built-in route"):
        record.create_gateway()


def test_the_command_prints_progress_and_the_client_url(record: ApiGateway) -> None:
    out = StringIO()

    call_command("createApiGateway", f"--pk={record.pk}", stdout=out)

    record.refresh_from_db()
    text = out.getvalue()
    assert "create route $connect: https://app.example.com/ws/connect ..." in text
    assert "create deployment production ..." in text
    assert "6 change(s) made." in text
    assert f"Clients connect to {record.client_url}" in text


def test_the_command_turns_aws_errors_into_a_command_error(
    record: ApiGateway, aws_endpoint: StandIns
) -> None:
    aws_endpoint.fail_once("POST", r"/v2/apis")
    with pytest.raises(CommandError, match=r"Create API Gateway failed: CreateApi: BadRequest"):
        call_command("createApiGateway", f"--pk={record.pk}", stdout=StringIO())


def test_the_command_names_a_missing_record() -> None:
    with pytest.raises(CommandError, match="no ApiGateway with pk 999"):
        call_command("createApiGateway", "--pk=999", stdout=StringIO())


def test_a_route_response_left_by_an_interrupted_run_is_accepted(
    record: ApiGateway, apigw: Any, aws_endpoint: StandIns
) -> None:
    # AWS refuses a second $default route response with ConflictException.
    aws_endpoint.fail_once(
        "POST", r"/v2/apis/[^/]+/routes/[^/]+/routeresponses", code="ConflictException"
    )

    record.create_gateway()

    assert routes(apigw, record.api_id)["$default"]["RouteResponseSelectionExpression"] == (
        "$default"
    )


def test_a_refused_route_response_fails_the_run(record: ApiGateway, aws_endpoint: StandIns) -> None:
    aws_endpoint.fail_once("POST", r"/v2/apis/[^/]+/routes/[^/]+/routeresponses")

    with pytest.raises(ProvisioningError, match="CreateRouteResponse: BadRequestException"):
        record.create_gateway()


def test_a_rerun_after_an_interrupted_route_response_creates_no_second_one(
    record: ApiGateway, apigw: Any, aws_endpoint: StandIns
) -> None:
    # Interrupted between CreateRouteResponse and UpdateRoute.
    aws_endpoint.fail_once("PATCH", r"/v2/apis/[^/]+/routes/[^/]+")
    with pytest.raises(ProvisioningError):
        record.create_gateway()
    aws_endpoint.reset()

    record.create_gateway()

    route_id = routes(apigw, record.api_id)["$default"]["RouteId"]
    responses = apigw.get_route_responses(ApiId=record.api_id, RouteId=route_id)["Items"]
    assert [item["RouteResponseKey"] for item in responses] == ["$default"]
    assert not [
        path
        for method, path in aws_endpoint.requests
        if path.endswith("/routeresponses") and method == "POST"
    ]
