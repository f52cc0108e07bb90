"""A gateway's resources as a CloudFormation template (JSON).

The gateway secret is a ``NoEcho`` parameter, never written into the template.
"""

from __future__ import annotations

import json
from typing import Any

from ..models import ApiGateway
from .custom_domain import (
    ENDPOINT_TYPE,
    SECURITY_POLICY,
    domain_client_url,
    has_custom_domain,
)
from .lambda_permission import ACTION, PRINCIPAL
from .names import pascal, plan_fingerprint, route_names
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

API = "WebSocketApi"
STAGE = "Stage"
SECRET_PARAMETER_NAME = "GatewaySecret"
DOMAIN = "DomainName"
AUTHORIZER = "ConnectAuthorizer"
# Any stage and route of this one API (and of no other API).
API_SOURCE_ARN = {
    "Fn::Sub": (
        f"arn:${{AWS::Partition}}:execute-api:${{AWS::Region}}:${{AWS::AccountId}}:${{{API}}}/*"
    )
}


def _ref(name: str) -> dict[str, str]:
    return {"Ref": name}


def _integration(route: RouteSpec) -> dict[str, Any]:
    spec = route.integration
    parameters: dict[str, Any] = dict(spec.request_parameters)
    if SECRET_PARAMETER in parameters:
        parameters[SECRET_PARAMETER] = {"Fn::Sub": f"'${{{SECRET_PARAMETER_NAME}}}'"}
    properties: dict[str, Any] = {
        "ApiId": _ref(API),
        "Description": route.integration_description,
        "IntegrationType": spec.integration_type,
        "IntegrationMethod": spec.method,
        "IntegrationUri": spec.uri,
        "TimeoutInMillis": spec.timeout_ms,
    }
    if parameters:
        properties["RequestParameters"] = parameters
    return {"Type": "AWS::ApiGatewayV2::Integration", "Properties": properties}


def _route(route: RouteSpec, integration: str) -> dict[str, Any]:
    properties: dict[str, Any] = {
        "ApiId": _ref(API),
        "RouteKey": route.route_key,
        "Target": {"Fn::Join": ["/", ["integrations", _ref(integration)]]},
    }
    if route.two_way:
        properties["RouteResponseSelectionExpression"] = TWO_WAY_SELECTION_EXPRESSION
    if route.authorization_type != NO_AUTHORIZATION:
        properties["AuthorizationType"] = route.authorization_type
    if route.authorization_type == CUSTOM_AUTHORIZATION:
        properties["AuthorizerId"] = _ref(AUTHORIZER)
    return {"Type": "AWS::ApiGatewayV2::Route", "Properties": properties}


def _lambda_permission(function_arn: str) -> dict[str, Any]:
    return {
        "Type": "AWS::Lambda::Permission",
        "Properties": {
            "Action": ACTION,
            "FunctionName": function_arn,
            "Principal": PRINCIPAL,
            "SourceArn": API_SOURCE_ARN,
        },
    }


def _authorizer(plan: GatewayPlan) -> dict[str, Any]:
    spec = plan.authorizer
    assert spec is not None
    return {
        AUTHORIZER: {
            "Type": "AWS::ApiGatewayV2::Authorizer",
            "Properties": {
                "ApiId": _ref(API),
                "Name": spec.name,
                "AuthorizerType": spec.authorizer_type,
                "AuthorizerUri": spec.uri,
                "IdentitySource": list(spec.identity_sources),
            },
        },
        "AuthorizerPermission": _lambda_permission(spec.function_arn),
    }


def _custom_domain(gateway: ApiGateway, plan: GatewayPlan) -> dict[str, Any]:
    resources: dict[str, Any] = {
        DOMAIN: {
            "Type": "AWS::ApiGatewayV2::DomainName",
            "Properties": {
                "DomainName": gateway.domain_name,
                "DomainNameConfigurations": [
                    {
                        "CertificateArn": gateway.certificate_arn,
                        "EndpointType": ENDPOINT_TYPE,
                        "SecurityPolicy": SECURITY_POLICY,
                    }
                ],
                "Tags": dict(plan.api.tags),
            },
        },
        "ApiMapping": {
            "Type": "AWS::ApiGatewayV2::ApiMapping",
            "Properties": {"DomainName": _ref(DOMAIN), "ApiId": _ref(API), "Stage": _ref(STAGE)},
        },
    }
    if gateway.hosted_zone_id:
        resources["DnsAlias"] = {
            "Type": "AWS::Route53::RecordSet",
            "Properties": {
                "HostedZoneId": gateway.hosted_zone_id,
                "Name": gateway.domain_name,
                "Type": "A",
                "AliasTarget": {
                    "DNSName": {"Fn::GetAtt": [DOMAIN, "RegionalDomainName"]},
                    "HostedZoneId": {"Fn::GetAtt": [DOMAIN, "RegionalHostedZoneId"]},
                    "EvaluateTargetHealth": False,
                },
            },
        }
    return resources


def _client_url(gateway: ApiGateway, plan: GatewayPlan) -> Any:
    if has_custom_domain(gateway):
        return domain_client_url(gateway)
    return {"Fn::Sub": f"${{{API}.ApiEndpoint}}/{plan.stage_name}"}


def build_template(gateway: ApiGateway) -> dict[str, Any]:
    plan = build_plan(gateway)
    names = route_names(plan, pascal)
    resources: dict[str, Any] = {
        API: {
            "Type": "AWS::ApiGatewayV2::Api",
            "Properties": {
                "Name": plan.api.name,
                "ProtocolType": "WEBSOCKET",
                "Description": plan.api.description,
                "RouteSelectionExpression": plan.api.route_selection_expression,
                "ApiKeySelectionExpression": plan.api.api_key_selection_expression,
                "Tags": dict(plan.api.tags),
            },
        }
    }
    deployment_needs = []
    for route in plan.routes:
        name = names[route.route_key]
        resources[f"{name}Integration"] = _integration(route)
        resources[f"{name}Route"] = _route(route, f"{name}Integration")
        deployment_needs.append(f"{name}Route")
        if route.two_way:
            resources[f"{name}RouteResponse"] = {
                "Type": "AWS::ApiGatewayV2::RouteResponse",
                "Properties": {
                    "ApiId": _ref(API),
                    "RouteId": _ref(f"{name}Route"),
                    "RouteResponseKey": TWO_WAY_RESPONSE_KEY,
                },
            }
            deployment_needs.append(f"{name}RouteResponse")
    # CloudFormation only deploys a new Deployment resource: naming it after
    # the routes' fingerprint redeploys exactly when they change.
    deployment = f"Deployment{plan_fingerprint(plan)}"
    resources[deployment] = {
        "Type": "AWS::ApiGatewayV2::Deployment",
        "DependsOn": deployment_needs,
        "Properties": {"ApiId": _ref(API), "Description": "django-aws-api-gateway-websockets"},
    }
    stage: dict[str, Any] = {
        "ApiId": _ref(API),
        "StageName": plan.stage_name,
        "DeploymentId": _ref(deployment),
    }
    if plan.stage_description:
        stage["Description"] = plan.stage_description
    resources[STAGE] = {"Type": "AWS::ApiGatewayV2::Stage", "Properties": stage}
    if has_custom_domain(gateway):
        resources.update(_custom_domain(gateway, plan))
    if plan.lambda_function_arn:
        resources["LambdaPermission"] = _lambda_permission(plan.lambda_function_arn)
    if plan.authorizer is not None:
        resources.update(_authorizer(plan))

    template: dict[str, Any] = {
        "AWSTemplateFormatVersion": "2010-09-09",
        "Description": f"WebSocket API {plan.api.name} (django-aws-api-gateway-websockets)",
    }
    if plan.gateway_secret:
        template["Parameters"] = {
            SECRET_PARAMETER_NAME: {
                "Type": "String",
                "NoEcho": True,
                "MinLength": 1,
                "Description": 'WEBSOCKETS["gateway_secret"]: sent to Django in the '
                "X-Ws-Gateway-Secret header",
            }
        }
    template["Resources"] = resources
    template["Outputs"] = {
        "ApiId": {"Value": _ref(API)},
        "ApiEndpoint": {"Value": {"Fn::GetAtt": [API, "ApiEndpoint"]}},
        "ClientUrl": {"Value": _client_url(gateway, plan)},
    }
    return template


def export_cloudformation(gateway: ApiGateway) -> str:
    with expected_errors("Export CloudFormation"):
        return json.dumps(build_template(gateway), indent=2) + "\n"
