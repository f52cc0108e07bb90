"""$connect authorization: a Lambda REQUEST authorizer or AWS_IAM, created and kept in sync."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import override_settings

from django_aws_api_gateway_websockets.models import ApiGateway
from django_aws_api_gateway_websockets.provisioning import (
    ProvisioningError,
    delete_gateway,
    sync_gateway,
)

from .conftest import SECRET
from .helpers import integration_for, routes
from .test_lambda import permission_statements

pytestmark = pytest.mark.django_db

SOURCES = ["route.request.querystring.access_token"]


@pytest.fixture
def authorized(record: ApiGateway, lambda_arn: str) -> ApiGateway:
    record.connect_authorization = "request"
    record.authorizer_function_arn = lambda_arn
    record.authorizer_identity_sources = SOURCES
    record.authorizer_context_keys = ["user_id", "plan"]
    record.save()
    return record


@override_settings(WEBSOCKETS={"gateway_secret": SECRET})
def test_create_wires_the_authorizer_permission_and_context(
    authorized: ApiGateway, apigw: Any, lambda_arn: str
) -> None:
    authorized.create_gateway()

    api_id = authorized.api_id
    connect = routes(apigw, api_id)["$connect"]
    assert connect["AuthorizationType"] == "CUSTOM"
    authorizer = apigw.get_authorizer(ApiId=api_id, AuthorizerId=connect["AuthorizerId"])
    assert authorizer["AuthorizerType"] == "REQUEST"
    assert authorizer["IdentitySource"] == SOURCES
    assert authorizer["AuthorizerUri"] == (
        f"arn:aws:apigateway:eu-west-1:lambda:path/2015-03-31/functions/{lambda_arn}/invocations"
    )
    parameters = integration_for(apigw, api_id, "$connect")["RequestParameters"]
    assert parameters["integration.request.header.X-Ws-Authorizer-User-Id"] == (
        "context.authorizer.user_id"
    )
    assert parameters["integration.request.header.X-Ws-Authorizer-Plan"] == (
        "context.authorizer.plan"
    )
    # Messages are not authorized again: only $connect.
    default = routes(apigw, api_id)["$default"]
    assert default.get("AuthorizationType", "NONE") == "NONE"
    assert "X-Ws-Authorizer-Plan" not in str(integration_for(apigw, api_id, "$default"))
    (statement,) = permission_statements(lambda_arn)
    assert statement["Sid"].endswith("-authorizer")
    assert statement["Condition"]["ArnLike"]["AWS:SourceArn"].endswith(f":{api_id}/*")
    assert sync_gateway(authorized) == []


@override_settings(WEBSOCKETS={"gateway_secret": SECRET})
def test_sync_follows_changed_sources_then_removes_the_authorizer(
    authorized: ApiGateway, apigw: Any
) -> None:
    authorized.create_gateway()
    api_id = authorized.api_id
    authorizer_id = routes(apigw, api_id)["$connect"]["AuthorizerId"]

    authorized.authorizer_identity_sources = ["route.request.header.Authorization"]
    authorized.save()
    changes = sync_gateway(authorized)

    assert [(c.action, c.resource) for c in changes] == [
        ("update", "authorizer"),
        ("create", "deployment"),
    ]
    assert apigw.get_authorizer(ApiId=api_id, AuthorizerId=authorizer_id)["IdentitySource"] == [
        "route.request.header.Authorization"
    ]

    authorized.connect_authorization = "none"
    authorized.save()
    changes = sync_gateway(authorized)

    assert ("delete", "authorizer") in [(c.action, c.resource) for c in changes]
    connect = routes(apigw, api_id)["$connect"]
    assert connect["AuthorizationType"] == "NONE"
    assert not connect.get("AuthorizerId")
    parameters = integration_for(apigw, api_id, "$connect")["RequestParameters"]
    assert not any("Authorizer" in name for name in parameters)
    assert sync_gateway(authorized) == []


def test_dry_run_lists_the_authorizer_without_creating_it(
    authorized: ApiGateway, record: ApiGateway, apigw: Any
) -> None:
    authorized.connect_authorization = "none"
    authorized.save()
    authorized.create_gateway()
    authorized.connect_authorization = "request"
    authorized.save()

    changes = sync_gateway(authorized, dry_run=True)

    described = [(c.action, c.resource) for c in changes]
    assert ("create", "authorizer") in described
    assert ("update", "route") in described
    assert routes(apigw, authorized.api_id)["$connect"]["AuthorizationType"] == "NONE"


def test_iam_on_connect_only(record: ApiGateway, apigw: Any) -> None:
    record.connect_authorization = "iam"
    record.save()

    record.create_gateway()

    by_key = routes(apigw, record.api_id)
    assert by_key["$connect"]["AuthorizationType"] == "AWS_IAM"
    assert by_key["$default"].get("AuthorizationType", "NONE") == "NONE"
    assert sync_gateway(record) == []


def test_teardown_removes_the_authorizer_permission(
    authorized: ApiGateway, lambda_arn: str
) -> None:
    authorized.create_gateway()
    assert len(permission_statements(lambda_arn)) == 1

    delete_gateway(authorized)

    with pytest.raises(Exception, match="ResourceNotFound|no policy|not found"):
        permission_statements(lambda_arn)


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("authorizer_function_arn", "", "needs authorizer_function_arn"),
        ("authorizer_identity_sources", ["route.request.body.token"], "identity source"),
        ("authorizer_context_keys", ["User-Id"], "context key"),
    ],
)
def test_bad_authorizer_records_are_refused_before_any_call(
    authorized: ApiGateway, field: str, value: Any, message: str
) -> None:
    setattr(authorized, field, value)
    authorized.save()

    with pytest.raises(ProvisioningError, match=message):
        authorized.create_gateway()

    assert authorized.api_id == ""
