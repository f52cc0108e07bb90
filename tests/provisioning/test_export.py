"""exportapigateway: CloudFormation that passes cfn-lint, Terraform that parses."""

from __future__ import annotations

import json
import subprocess
import sys
from io import StringIO
from pathlib import Path
from typing import Any

import hcl2
import pytest
from django.core.management import CommandError, call_command
from django.test import override_settings

from django_aws_api_gateway_websockets.models import ApiGateway, ApiGatewayAdditionalRoute
from django_aws_api_gateway_websockets.provisioning import (
    export_cloudformation,
    export_terraform,
)
from django_aws_api_gateway_websockets.provisioning.hcl import value

from .conftest import SECRET
from .harness import StandIns

pytestmark = pytest.mark.django_db

CFN_LINT = Path(sys.executable).with_name("cfn-lint")
LAMBDA_ARN = "arn:aws:lambda:eu-west-1:123456789012:function:chat"


@pytest.fixture
def everything(record: ApiGateway) -> ApiGateway:
    record.domain_name = "ws.example.com"
    record.certificate_arn = "arn:aws:acm:eu-west-1:123456789012:certificate/abc"
    record.hosted_zone_id = "Z123456789"
    record.stage_description = "Live"
    record.route_selection_expression = "${request.body.service}/${request.body.action}"
    record.save()
    ApiGatewayAdditionalRoute.objects.create(
        api_gateway=record, name="Chat", route_key="chat.send", integration_url="https://c.example/"
    )
    ApiGatewayAdditionalRoute.objects.create(
        api_gateway=record,
        name="Chat2",
        route_key="chat_send",
        integration_url="https://d.example/",
    )
    return record


def cfn_lint(path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(CFN_LINT), "--regions", "eu-west-1", "--", str(path)],
        capture_output=True,
        text=True,
        check=False,
    )


def _types(template: dict[str, Any]) -> list[str]:
    return sorted(resource["Type"] for resource in template["Resources"].values())


@override_settings(WEBSOCKETS={"gateway_secret": SECRET})
def test_cloudformation_passes_cfn_lint(
    everything: ApiGateway, tmp_path: Path, aws_endpoint: StandIns
) -> None:
    output = tmp_path / "gateway.json"

    call_command(
        "exportapigateway",
        "--pk",
        str(everything.pk),
        "--format",
        "cloudformation",
        "--output",
        str(output),
        stdout=StringIO(),
        stderr=StringIO(),
    )

    result = cfn_lint(output)
    assert result.returncode == 0, result.stdout + result.stderr
    text = output.read_text()
    assert SECRET not in text
    template = json.loads(text)
    assert _types(template) == sorted(
        ["AWS::ApiGatewayV2::Api"]
        + ["AWS::ApiGatewayV2::Integration", "AWS::ApiGatewayV2::Route"] * 5
        + ["AWS::ApiGatewayV2::RouteResponse", "AWS::ApiGatewayV2::Deployment"]
        + ["AWS::ApiGatewayV2::Stage", "AWS::ApiGatewayV2::DomainName"]
        + ["AWS::ApiGatewayV2::ApiMapping", "AWS::Route53::RecordSet"]
    )
    resources = template["Resources"]
    connect = resources["ConnectIntegration"]["Properties"]
    assert connect["IntegrationUri"] == "https://app.example.com/ws/connect"
    assert connect["TimeoutInMillis"] == 10_000
    assert connect["RequestParameters"] == {
        "integration.request.header.Connectionid": "context.connectionId",
        "integration.request.header.X-Ws-Source-Ip": "context.identity.sourceIp",
        "integration.request.header.X-Ws-Gateway-Secret": {"Fn::Sub": "'${GatewaySecret}'"},
    }
    assert template["Parameters"]["GatewaySecret"]["NoEcho"] is True
    assert resources["ChatSendRoute"]["Properties"]["RouteKey"] == "chat.send"
    assert resources["ChatSend4Route"]["Properties"]["RouteKey"] == "chat_send"
    assert resources["Stage"]["Properties"]["StageName"] == "production"
    assert aws_endpoint.requests == []  # exporting never calls AWS


def test_cloudformation_for_lambda_passes_cfn_lint(record: ApiGateway, tmp_path: Path) -> None:
    record.integration_type = "lambda"
    record.lambda_function_arn = LAMBDA_ARN
    record.save()
    output = tmp_path / "gateway.json"
    output.write_text(export_cloudformation(record))

    result = cfn_lint(output)

    assert result.returncode == 0, result.stdout + result.stderr
    template = json.loads(output.read_text())
    assert "Parameters" not in template
    permission = template["Resources"]["LambdaPermission"]["Properties"]
    assert permission["FunctionName"] == LAMBDA_ARN
    assert permission["Principal"] == "apigateway.amazonaws.com"
    integration = template["Resources"]["DefaultIntegration"]["Properties"]
    assert integration["IntegrationType"] == "AWS_PROXY"
    assert integration["IntegrationUri"].endswith(f"functions/{LAMBDA_ARN}/invocations")


def _unquote(item: Any) -> Any:
    if isinstance(item, str) and len(item) >= 2 and item[0] == item[-1] == '"':
        return item[1:-1]
    if isinstance(item, dict):
        return {_unquote(key): _unquote(val) for key, val in item.items()}
    if isinstance(item, list):
        return [_unquote(element) for element in item]
    return item


def resources_of(text: str) -> dict[str, dict[str, Any]]:
    parsed = _unquote(hcl2.loads(text))
    found: dict[str, dict[str, Any]] = {}
    for entry in parsed.get("resource", []):
        for kind, named in entry.items():
            for name, body in named.items():
                found[f"{kind}.{name}"] = body
    return found


@override_settings(WEBSOCKETS={"gateway_secret": SECRET})
def test_terraform_parses_with_the_expected_resources(everything: ApiGateway) -> None:
    out = StringIO()
    call_command(
        "exportapigateway", "--pk", str(everything.pk), "--format", "terraform", stdout=out
    )
    text = out.getvalue()

    assert SECRET not in text
    resources = resources_of(text)
    assert sorted(resources) == sorted(
        [
            "aws_apigatewayv2_api.websocket",
            "aws_apigatewayv2_deployment.this",
            "aws_apigatewayv2_stage.this",
            "aws_apigatewayv2_route_response.default",
            "aws_apigatewayv2_domain_name.this",
            "aws_apigatewayv2_api_mapping.this",
            "aws_route53_record.this",
        ]
        + [
            f"{kind}.{name}"
            for kind in ("aws_apigatewayv2_integration", "aws_apigatewayv2_route")
            for name in ("connect", "disconnect", "default", "chat_send", "chat_send_4")
        ]
    )
    api = resources["aws_apigatewayv2_api.websocket"]
    assert api["protocol_type"] == "WEBSOCKET"
    # A literal "${" is escaped so Terraform does not interpolate it.
    assert api["route_selection_expression"] == "$${request.body.service}/$${request.body.action}"
    connect = resources["aws_apigatewayv2_integration.connect"]
    assert connect["integration_uri"] == "https://app.example.com/ws/connect"
    assert connect["timeout_milliseconds"] == 10_000
    assert connect["request_parameters"] == {
        "integration.request.header.Connectionid": "context.connectionId",
        "integration.request.header.X-Ws-Source-Ip": "context.identity.sourceIp",
        "integration.request.header.X-Ws-Gateway-Secret": "'${var.gateway_secret}'",
    }
    route = resources["aws_apigatewayv2_route.default"]
    assert route["route_response_selection_expression"] == "$default"
    assert route["target"] == "integrations/${aws_apigatewayv2_integration.default.id}"
    parsed = _unquote(hcl2.loads(text))
    assert parsed["variable"][0]["gateway_secret"]["sensitive"] is True


def test_terraform_for_lambda(record: ApiGateway) -> None:
    record.integration_type = "lambda"
    record.lambda_function_arn = LAMBDA_ARN
    record.save()

    resources = resources_of(export_terraform(record))

    permission = resources["aws_lambda_permission.api_gateway"]
    assert permission["function_name"] == LAMBDA_ARN
    assert permission["source_arn"] == "${aws_apigatewayv2_api.websocket.execution_arn}/*"
    assert resources["aws_apigatewayv2_integration.default"]["integration_type"] == "AWS_PROXY"


def test_export_of_an_invalid_record_is_a_command_error(record: ApiGateway) -> None:
    ApiGateway.objects.filter(pk=record.pk).update(integration_timeout_ms=1)
    with pytest.raises(CommandError, match="Export Terraform failed: integration_timeout_ms"):
        call_command(
            "exportapigateway", "--pk", str(record.pk), "--format", "terraform", stdout=StringIO()
        )


def test_a_domain_without_hosted_zone_gets_no_dns_record(everything: ApiGateway) -> None:
    everything.hosted_zone_id = ""
    everything.save()

    resources = resources_of(export_terraform(everything))
    template = json.loads(export_cloudformation(everything))

    assert "aws_apigatewayv2_domain_name.this" in resources
    assert "aws_route53_record.this" not in resources
    assert "DomainName" in template["Resources"]
    assert "DnsAlias" not in template["Resources"]


def test_route_keys_become_valid_resource_names(record: ApiGateway) -> None:
    ApiGatewayAdditionalRoute.objects.create(
        api_gateway=record, name="2fa", route_key="2fa", integration_url="https://c.example/"
    )
    ApiGatewayAdditionalRoute.objects.create(
        api_gateway=record, name="odd", route_key="!!", integration_url="https://c.example/"
    )

    resources = resources_of(export_terraform(record))
    template = json.loads(export_cloudformation(record))

    assert resources["aws_apigatewayv2_route.route_2fa"]["route_key"] == "2fa"
    assert resources["aws_apigatewayv2_route.route"]["route_key"] == "!!"
    assert template["Resources"]["Route2faRoute"]["Properties"]["RouteKey"] == "2fa"


def test_hcl_values() -> None:
    assert value([]) == "[]"
    assert value({}) == "{}"
    assert value(1.5) == "1.5"
    assert value("100%{x}") == '"100%%{x}"'
    with pytest.raises(TypeError, match="cannot write object as HCL"):
        value(object())


def test_both_exports_tag_the_api_and_domain_as_managed(everything: ApiGateway) -> None:
    tags = {"team": "web", "managed-by": "django-aws-api-gateway-websockets"}

    template = json.loads(export_cloudformation(everything))
    resources = resources_of(export_terraform(everything))

    assert template["Resources"]["WebSocketApi"]["Properties"]["Tags"] == tags
    assert template["Resources"]["DomainName"]["Properties"]["Tags"] == tags
    assert resources["aws_apigatewayv2_api.websocket"]["tags"] == tags
    assert resources["aws_apigatewayv2_domain_name.this"]["tags"] == tags


def test_names_that_meet_only_in_pascal_case_stay_apart(record: ApiGateway) -> None:
    # "x.1" -> x_1 and "x1" -> x1 differ in snake case; both are X1 in PascalCase.
    for key in ("x.1", "x1"):
        ApiGatewayAdditionalRoute.objects.create(
            api_gateway=record, name=key, route_key=key, integration_url="https://c.example/"
        )

    template = json.loads(export_cloudformation(record))
    resources = resources_of(export_terraform(record))

    cfn_routes = [
        item["Properties"]["RouteKey"]
        for item in template["Resources"].values()
        if item["Type"] == "AWS::ApiGatewayV2::Route"
    ]
    tf_routes = [
        body["route_key"]
        for name, body in resources.items()
        if name.startswith("aws_apigatewayv2_route.")
    ]
    expected = ["$connect", "$default", "$disconnect", "x.1", "x1"]
    assert sorted(cfn_routes) == expected
    assert sorted(tf_routes) == expected
    integrations = [
        name
        for name, item in template["Resources"].items()
        if item["Type"] == "AWS::ApiGatewayV2::Integration"
    ]
    assert len(integrations) == 5


def test_terraform_lambda_permission_is_named_per_api(record: ApiGateway) -> None:
    # Two gateways sharing one function must not collide on the statement id.
    record.integration_type = "lambda"
    record.lambda_function_arn = LAMBDA_ARN
    record.save()

    permission = resources_of(export_terraform(record))["aws_lambda_permission.api_gateway"]

    assert permission["statement_id"] == (
        "django-aws-api-gateway-websockets-${aws_apigatewayv2_api.websocket.id}"
    )


def _outputs(text: str) -> dict[str, Any]:
    parsed = _unquote(hcl2.loads(text))
    return {name: body["value"] for entry in parsed["output"] for name, body in entry.items()}


def test_the_client_url_output_is_the_custom_domain_when_there_is_one(
    everything: ApiGateway,
) -> None:
    template = json.loads(export_cloudformation(everything))
    outputs = _outputs(export_terraform(everything))

    assert template["Outputs"]["ClientUrl"]["Value"] == "wss://ws.example.com"
    assert outputs["client_url"] == "wss://ws.example.com"


def test_the_client_url_output_is_the_stage_url_without_a_domain(record: ApiGateway) -> None:
    template = json.loads(export_cloudformation(record))
    outputs = _outputs(export_terraform(record))

    assert template["Outputs"]["ClientUrl"]["Value"] == {
        "Fn::Sub": "${WebSocketApi.ApiEndpoint}/production"
    }
    assert outputs["client_url"] == "${aws_apigatewayv2_api.websocket.api_endpoint}/production"


def test_a_suffixed_name_that_is_taken_gets_another_suffix(record: ApiGateway) -> None:
    # Plan order: the three built-in routes, then these by route key (3, 4, 5).
    for key in ("A.5", "a", "a!"):
        ApiGatewayAdditionalRoute.objects.create(
            api_gateway=record, name=key, route_key=key, integration_url="https://c.example/"
        )

    resources = resources_of(export_terraform(record))

    assert resources["aws_apigatewayv2_route.a_5"]["route_key"] == "A.5"
    assert resources["aws_apigatewayv2_route.a"]["route_key"] == "a"
    assert resources["aws_apigatewayv2_route.a_5_2"]["route_key"] == "a!"
