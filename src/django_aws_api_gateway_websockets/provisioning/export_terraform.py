"""A gateway's resources as Terraform (AWS provider) configuration.

The gateway secret is a ``sensitive`` variable, never written into the file.
"""

from __future__ import annotations

from typing import Any

from ..models import ApiGateway
from .custom_domain import (
    ENDPOINT_TYPE,
    SECURITY_POLICY,
    domain_client_url,
    has_custom_domain,
)
from .hcl import Block, Expr, Template, document
from .lambda_permission import ACTION, AUTHORIZER, INTEGRATION, PRINCIPAL, statement_id
from .names import route_names
from .plan import (
    CUSTOM_AUTHORIZATION,
    NO_AUTHORIZATION,
    SECRET_PARAMETER,
    TWO_WAY_RESPONSE_KEY,
    TWO_WAY_SELECTION_EXPRESSION,
    GatewayPlan,
    RouteSpec,
    build_plan,
)
from .record import expected_errors

API = "aws_apigatewayv2_api.websocket"
API_ID = Expr(f"{API}.id")
SECRET_VARIABLE = "gateway_secret"
AUTHORIZER_RESOURCE = "aws_apigatewayv2_authorizer.connect"


def _integration(route: RouteSpec) -> dict[str, Any]:
    spec = route.integration
    body: dict[str, Any] = {
        "api_id": API_ID,
        "description": route.integration_description,
        "integration_type": spec.integration_type,
        "integration_method": spec.method,
        "integration_uri": spec.uri,
        "timeout_milliseconds": spec.timeout_ms,
    }
    parameters: dict[str, Any] = dict(spec.request_parameters)
    if SECRET_PARAMETER in parameters:
        parameters[SECRET_PARAMETER] = Template(f"'${{var.{SECRET_VARIABLE}}}'")
    if parameters:
        body["request_parameters"] = parameters
    return body


def _authorizer(plan: GatewayPlan) -> list[Block]:
    spec = plan.authorizer
    if spec is None:
        return []
    return [
        Block(
            "resource",
            ("aws_apigatewayv2_authorizer", "connect"),
            {
                "api_id": API_ID,
                "name": spec.name,
                "authorizer_type": spec.authorizer_type,
                "authorizer_uri": spec.uri,
                "identity_sources": list(spec.identity_sources),
            },
        ),
        _lambda_permission("authorizer", spec.function_arn, AUTHORIZER),
    ]


def _lambda_permission(name: str, function_arn: str, role: str) -> Block:
    return Block(
        "resource",
        ("aws_lambda_permission", name),
        {
            # Per API, as the command path names it: two gateways may
            # share one function.
            "statement_id": Template(statement_id(f"${{{API}.id}}", role)),
            "action": ACTION,
            "function_name": function_arn,
            "principal": PRINCIPAL,
            "source_arn": Template(f"${{{API}.execution_arn}}/*"),
        },
    )


def _routes(plan: GatewayPlan) -> tuple[list[Block], list[str]]:
    blocks, depends = _authorizer(plan), []
    if plan.authorizer is not None:
        depends.append(AUTHORIZER_RESOURCE)
    for route in plan.routes:
        name = route_names(plan)[route.route_key]
        blocks.append(
            Block("resource", ("aws_apigatewayv2_integration", name), _integration(route))
        )
        body: dict[str, Any] = {
            "api_id": API_ID,
            "route_key": route.route_key,
            "target": Template(f"integrations/${{aws_apigatewayv2_integration.{name}.id}}"),
        }
        if route.two_way:
            body["route_response_selection_expression"] = TWO_WAY_SELECTION_EXPRESSION
        if route.authorization_type != NO_AUTHORIZATION:
            body["authorization_type"] = route.authorization_type
        if route.authorization_type == CUSTOM_AUTHORIZATION:
            body["authorizer_id"] = Expr(f"{AUTHORIZER_RESOURCE}.id")
        blocks.append(Block("resource", ("aws_apigatewayv2_route", name), body))
        depends += [f"aws_apigatewayv2_integration.{name}", f"aws_apigatewayv2_route.{name}"]
        if route.two_way:
            blocks.append(
                Block(
                    "resource",
                    ("aws_apigatewayv2_route_response", name),
                    {
                        "api_id": API_ID,
                        "route_id": Expr(f"aws_apigatewayv2_route.{name}.id"),
                        "route_response_key": TWO_WAY_RESPONSE_KEY,
                    },
                )
            )
            depends.append(f"aws_apigatewayv2_route_response.{name}")
    return blocks, depends


def _custom_domain(gateway: ApiGateway, plan: GatewayPlan) -> list[Block]:
    domain = "aws_apigatewayv2_domain_name.this"
    blocks = [
        Block(
            "resource",
            ("aws_apigatewayv2_domain_name", "this"),
            {
                "domain_name": gateway.domain_name,
                "configuration": Block(
                    "domain_name_configuration",
                    body={
                        "certificate_arn": gateway.certificate_arn,
                        "endpoint_type": ENDPOINT_TYPE,
                        "security_policy": SECURITY_POLICY,
                    },
                ),
                "tags": dict(plan.api.tags),
            },
        ),
        Block(
            "resource",
            ("aws_apigatewayv2_api_mapping", "this"),
            {
                "api_id": API_ID,
                "domain_name": Expr(f"{domain}.id"),
                "stage": Expr("aws_apigatewayv2_stage.this.id"),
            },
        ),
    ]
    if gateway.hosted_zone_id:
        target = f"{domain}.domain_name_configuration[0]"
        blocks.append(
            Block(
                "resource",
                ("aws_route53_record", "this"),
                {
                    "zone_id": gateway.hosted_zone_id,
                    "name": gateway.domain_name,
                    "type": "A",
                    "alias": Block(
                        "alias",
                        body={
                            "name": Expr(f"{target}.target_domain_name"),
                            "zone_id": Expr(f"{target}.hosted_zone_id"),
                            "evaluate_target_health": False,
                        },
                    ),
                },
            )
        )
    return blocks


def _client_url(gateway: ApiGateway, plan: GatewayPlan) -> str | Template:
    if has_custom_domain(gateway):
        return domain_client_url(gateway)
    return Template(f"${{{API}.api_endpoint}}/{plan.stage_name}")


def build_blocks(gateway: ApiGateway) -> list[Block]:
    plan = build_plan(gateway)
    blocks = [
        Block(
            "terraform",
            body={
                "providers": Block(
                    "required_providers",
                    body={"aws": {"source": "hashicorp/aws", "version": ">= 5.0"}},
                )
            },
        )
    ]
    if plan.gateway_secret:
        blocks.append(
            Block(
                "variable",
                (SECRET_VARIABLE,),
                {
                    "description": 'WEBSOCKETS["gateway_secret"]: sent to Django in the '
                    "X-Ws-Gateway-Secret header",
                    "type": Expr("string"),
                    "sensitive": True,
                },
            )
        )
    blocks.append(
        Block(
            "resource",
            ("aws_apigatewayv2_api", "websocket"),
            {
                "name": plan.api.name,
                "protocol_type": "WEBSOCKET",
                "description": plan.api.description,
                "route_selection_expression": plan.api.route_selection_expression,
                "api_key_selection_expression": plan.api.api_key_selection_expression,
                "tags": dict(plan.api.tags),
            },
        )
    )
    route_blocks, depends = _routes(plan)
    blocks += route_blocks
    # A deployment is a snapshot: replace it whenever a route or integration changes.
    triggers = ", ".join(f"jsonencode({name})" for name in depends)
    blocks.append(
        Block(
            "resource",
            ("aws_apigatewayv2_deployment", "this"),
            {
                "api_id": API_ID,
                "description": "django-aws-api-gateway-websockets",
                "triggers": {"redeployment": Expr(f'sha1(join(",", [{triggers}]))')},
                "lifecycle": Block("lifecycle", body={"create_before_destroy": True}),
                "depends_on": [Expr(name) for name in depends],
            },
        )
    )
    stage: dict[str, Any] = {
        "api_id": API_ID,
        "name": plan.stage_name,
        "deployment_id": Expr("aws_apigatewayv2_deployment.this.id"),
    }
    if plan.stage_description:
        stage["description"] = plan.stage_description
    blocks.append(Block("resource", ("aws_apigatewayv2_stage", "this"), stage))
    if has_custom_domain(gateway):
        blocks += _custom_domain(gateway, plan)
    if plan.lambda_function_arn:
        blocks.append(_lambda_permission("api_gateway", plan.lambda_function_arn, INTEGRATION))
    blocks += [
        Block("output", ("api_id",), {"value": API_ID}),
        Block("output", ("api_endpoint",), {"value": Expr(f"{API}.api_endpoint")}),
        Block("output", ("client_url",), {"value": _client_url(gateway, plan)}),
    ]
    return blocks


def export_terraform(gateway: ApiGateway) -> str:
    with expected_errors("Export Terraform"):
        return document(build_blocks(gateway))
