"""The Lambda integration type: AWS_PROXY integrations plus the invoke permission."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import override_settings

from django_aws_api_gateway_websockets.models import ApiGateway, ApiGatewayAdditionalRoute
from django_aws_api_gateway_websockets.provisioning import delete_gateway, sync_gateway

from .conftest import SECRET, plain_client
from .helpers import integration_by_route

pytestmark = pytest.mark.django_db


def permission_statements(function_arn: str) -> list[dict[str, Any]]:
    policy = plain_client("lambda").get_policy(FunctionName=function_arn)["Policy"]
    return list(json.loads(policy)["Statement"])


@pytest.fixture
def lambda_record(record: ApiGateway, lambda_arn: str) -> ApiGateway:
    record.integration_type = "lambda"
    record.lambda_function_arn = lambda_arn
    record.save()
    ApiGatewayAdditionalRoute.objects.create(
        api_gateway=record, name="Chat", route_key="chat", integration_url="https://ignored/"
    )
    return record


@override_settings(WEBSOCKETS={"gateway_secret": SECRET})
def test_every_route_invokes_the_function(
    lambda_record: ApiGateway, apigw: Any, lambda_arn: str
) -> None:
    lambda_record.create_gateway()

    uri = f"arn:aws:apigateway:eu-west-1:lambda:path/2015-03-31/functions/{lambda_arn}/invocations"
    by_route = integration_by_route(apigw, lambda_record.api_id)
    assert sorted(by_route) == ["$connect", "$default", "$disconnect", "chat"]
    for item in by_route.values():
        assert item["IntegrationType"] == "AWS_PROXY"
        assert item["IntegrationUri"] == uri
        assert item["IntegrationMethod"] == "POST"
        assert not item.get("RequestParameters")  # the secret is for HTTP endpoints

    (statement,) = permission_statements(lambda_arn)
    assert statement["Principal"] == {"Service": "apigateway.amazonaws.com"}
    assert statement["Action"] == "lambda:InvokeFunction"
    assert statement["Condition"]["ArnLike"]["AWS:SourceArn"] == (
        f"arn:aws:execute-api:eu-west-1:123456789012:{lambda_record.api_id}/*"
    )
    assert sync_gateway(lambda_record) == []


def test_a_permission_removed_by_hand_is_restored(
    lambda_record: ApiGateway, lambda_arn: str
) -> None:
    lambda_record.create_gateway()
    plain_client("lambda").add_permission(
        FunctionName=lambda_arn,
        StatementId="someone-else",
        Action="lambda:InvokeFunction",
        Principal="events.amazonaws.com",
    )
    plain_client("lambda").remove_permission(
        FunctionName=lambda_arn,
        StatementId=f"django-aws-api-gateway-websockets-{lambda_record.api_id}",
    )

    changes = sync_gateway(lambda_record)

    assert [change.resource for change in changes] == ["lambda permission", "deployment"]
    assert len(permission_statements(lambda_arn)) == 2


def test_a_permission_for_another_source_is_replaced(
    lambda_record: ApiGateway, lambda_arn: str
) -> None:
    lambda_record.create_gateway()
    sid = f"django-aws-api-gateway-websockets-{lambda_record.api_id}"
    client = plain_client("lambda")
    client.remove_permission(FunctionName=lambda_arn, StatementId=sid)
    client.add_permission(
        FunctionName=lambda_arn,
        StatementId=sid,
        Action="lambda:InvokeFunction",
        Principal="apigateway.amazonaws.com",
        SourceArn="arn:aws:execute-api:eu-west-1:123456789012:*/*",
    )

    changes = sync_gateway(lambda_record, dry_run=True)
    assert str(changes[0]).startswith(f"update lambda permission {sid}")

    sync_gateway(lambda_record)
    (statement,) = permission_statements(lambda_arn)
    assert statement["Condition"]["ArnLike"]["AWS:SourceArn"].endswith(f":{lambda_record.api_id}/*")


def test_switching_from_http_to_lambda(record: ApiGateway, apigw: Any, lambda_arn: str) -> None:
    record.create_gateway()
    record.integration_type = "lambda"
    record.lambda_function_arn = lambda_arn
    record.save()

    sync_gateway(record)

    types = {
        item["IntegrationType"] for item in integration_by_route(apigw, record.api_id).values()
    }
    assert types == {"AWS_PROXY"}


def test_delete_removes_the_permission(lambda_record: ApiGateway, lambda_arn: str) -> None:
    lambda_record.create_gateway()

    delete_gateway(lambda_record)

    with pytest.raises(plain_client("lambda").exceptions.ResourceNotFoundException):
        permission_statements(lambda_arn)
    # Already gone: a second delete is fine.
    lambda_record.api_id = "gone"
    assert [change.resource for change in delete_gateway(lambda_record)] == [
        "lambda permission",
        "api",
    ]
