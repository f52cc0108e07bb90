"""apigatewaypolicy: the least-privilege IAM policy of a record."""

from __future__ import annotations

import json
from io import StringIO
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.test import override_settings

from django_aws_api_gateway_websockets.models import ApiGateway
from django_aws_api_gateway_websockets.provisioning import policy_document

pytestmark = pytest.mark.django_db


def statements(document: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {item["Sid"]: item for item in document["Statement"]}


def test_policy_of_a_created_gateway_with_domain_and_lambda(record: ApiGateway) -> None:
    record.create_gateway()
    record.domain_name = "ws.example.com"
    record.hosted_zone_id = "Z123"
    record.integration_type = "lambda"
    record.lambda_function_arn = "arn:aws:lambda:eu-west-1:123456789012:function:chat"
    record.connect_authorization = "request"
    record.authorizer_function_arn = "arn:aws:lambda:eu-west-1:123456789012:function:auth"
    record.save()
    out = StringIO()

    # The account comes from STS (moto's default account).
    call_command("apigatewaypolicy", "--pk", str(record.pk), stdout=out)

    document = json.loads(out.getvalue())
    assert document["Version"] == "2012-10-17"
    found = statements(document)
    api = record.api_id
    assert found["ProvisionWebSocketApi"]["Resource"] == [
        "arn:aws:apigateway:eu-west-1::/apis",
        f"arn:aws:apigateway:eu-west-1::/apis/{api}",
        f"arn:aws:apigateway:eu-west-1::/apis/{api}/*",
        "arn:aws:apigateway:eu-west-1::/tags/*",
    ]
    assert "apigateway:DELETE" in found["ProvisionWebSocketApi"]["Action"]
    assert found["ProvisionCustomDomain"]["Resource"][1] == (
        "arn:aws:apigateway:eu-west-1::/domainnames/ws.example.com"
    )
    assert found["ManageDnsAlias"]["Resource"] == "arn:aws:route53:::hostedzone/Z123"
    assert found["LetApiGatewayInvokeLambda"]["Resource"] == record.lambda_function_arn
    assert found["LetApiGatewayInvokeAuthorizer"]["Resource"] == record.authorizer_function_arn
    assert found["ManageConnections"] == {
        "Sid": "ManageConnections",
        "Effect": "Allow",
        "Action": "execute-api:ManageConnections",
        "Resource": [
            f"arn:aws:execute-api:eu-west-1:123456789012:{api}/production/{method}/@connections/*"
            for method in ("POST", "GET", "DELETE")
        ],
    }


def test_scopes_and_explicit_account(record: ApiGateway) -> None:
    sending = policy_document(record, account_id="111122223333", scope="sending")
    assert list(statements(sending)) == ["ManageConnections"]
    assert sending["Statement"][0]["Resource"][0] == (
        "arn:aws:execute-api:eu-west-1:111122223333:*/production/POST/@connections/*"
    )
    provisioning = policy_document(record, scope="provisioning", region="cn-north-1")
    assert list(statements(provisioning)) == ["ProvisionWebSocketApi"]
    assert provisioning["Statement"][0]["Resource"][1] == (
        "arn:aws-cn:apigateway:cn-north-1::/apis/*"
    )
    gov = policy_document(record, account_id="1", region="us-gov-west-1")
    assert gov["Statement"][0]["Resource"][0].startswith("arn:aws-us-gov:")


@override_settings(AWS_GATEWAY_REGION_NAME=None, AWS_REGION_NAME=None)
def test_region_falls_back_to_botocore_configuration(
    record: ApiGateway, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_DEFAULT_REGION", "ap-south-1")
    document = policy_document(record, account_id="1", scope="provisioning")
    assert document["Statement"][0]["Resource"][0] == "arn:aws:apigateway:ap-south-1::/apis"


def test_an_unknown_scope_is_refused(record: ApiGateway) -> None:
    with pytest.raises(CommandError, match="invalid choice"):
        call_command("apigatewaypolicy", "--pk", str(record.pk), "--scope", "x", stdout=StringIO())
    with pytest.raises(Exception, match="scope must be one of"):
        policy_document(record, scope="x")
