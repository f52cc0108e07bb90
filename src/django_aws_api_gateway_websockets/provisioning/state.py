"""What one WebSocket API looks like in AWS right now, read back through boto3."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from botocore.exceptions import ClientError

from ..wire import CONNECT_ROUTE
from .errors import is_not_found

if TYPE_CHECKING:
    from mypy_boto3_apigatewayv2 import ApiGatewayV2Client

TARGET_PREFIX = "integrations/"
# Tags AWS itself puts on resources (e.g. CloudFormation's); not ours to manage.
AWS_TAG_PREFIX = "aws:"


@dataclass(frozen=True)
class ActualIntegration:
    integration_id: str
    integration_type: str
    uri: str
    method: str
    timeout_ms: int | None
    request_parameters: dict[str, str]
    description: str


@dataclass(frozen=True)
class ActualRoute:
    route_id: str
    route_key: str
    integration_id: str | None
    route_response_selection_expression: str | None
    authorization_type: str = "NONE"
    authorizer_id: str | None = None


@dataclass(frozen=True)
class ActualAuthorizer:
    authorizer_id: str
    name: str
    authorizer_type: str
    uri: str
    identity_sources: tuple[str, ...]


@dataclass
class ActualApi:
    api_id: str
    name: str
    description: str
    route_selection_expression: str
    api_key_selection_expression: str
    api_endpoint: str
    tags: dict[str, str]
    routes: dict[str, ActualRoute] = field(default_factory=dict)
    integrations: dict[str, ActualIntegration] = field(default_factory=dict)
    stage_exists: bool = False
    # The authorizer $connect uses, if any. (Found through the route: moto
    # implements no GetAuthorizers.)
    authorizer: ActualAuthorizer | None = None


def target_integration_id(target: str | None) -> str | None:
    if target and target.startswith(TARGET_PREFIX):
        return target[len(TARGET_PREFIX) :]
    return None


def read_api(client: ApiGatewayV2Client, api_id: str, stage_name: str) -> ActualApi | None:
    """The API with its routes, integrations and stage; None when it does not exist."""
    try:
        api = client.get_api(ApiId=api_id)
    except ClientError as exc:
        if is_not_found(exc):
            return None
        raise
    actual = ActualApi(
        api_id=api_id,
        name=api.get("Name", ""),
        description=api.get("Description", "") or "",
        route_selection_expression=api.get("RouteSelectionExpression", ""),
        api_key_selection_expression=api.get("ApiKeySelectionExpression", "") or "",
        api_endpoint=api.get("ApiEndpoint", ""),
        tags={
            key: value
            for key, value in (api.get("Tags") or {}).items()
            if not key.startswith(AWS_TAG_PREFIX)
        },
    )
    for page in client.get_paginator("get_integrations").paginate(ApiId=api_id):
        for item in page.get("Items", []):
            timeout = item.get("TimeoutInMillis")
            integration = ActualIntegration(
                integration_id=item["IntegrationId"],
                integration_type=item.get("IntegrationType", ""),
                uri=item.get("IntegrationUri", ""),
                method=item.get("IntegrationMethod", ""),
                timeout_ms=int(timeout) if timeout is not None else None,
                request_parameters=dict(item.get("RequestParameters") or {}),
                description=item.get("Description", "") or "",
            )
            actual.integrations[integration.integration_id] = integration
    for routes in client.get_paginator("get_routes").paginate(ApiId=api_id):
        for route_item in routes.get("Items", []):
            route = ActualRoute(
                route_id=route_item["RouteId"],
                route_key=route_item["RouteKey"],
                integration_id=target_integration_id(route_item.get("Target")),
                route_response_selection_expression=route_item.get(
                    "RouteResponseSelectionExpression"
                ),
                authorization_type=route_item.get("AuthorizationType") or "NONE",
                authorizer_id=route_item.get("AuthorizerId") or None,
            )
            actual.routes[route.route_key] = route
    connect = actual.routes.get(CONNECT_ROUTE)
    if connect is not None and connect.authorizer_id:
        actual.authorizer = read_authorizer(client, api_id, connect.authorizer_id)
    actual.stage_exists = stage_exists(client, api_id, stage_name)
    return actual


def read_authorizer(
    client: ApiGatewayV2Client, api_id: str, authorizer_id: str
) -> ActualAuthorizer | None:
    try:
        item = client.get_authorizer(ApiId=api_id, AuthorizerId=authorizer_id)
    except ClientError as exc:
        if is_not_found(exc):
            return None
        raise
    return ActualAuthorizer(
        authorizer_id=authorizer_id,
        name=item.get("Name", ""),
        authorizer_type=item.get("AuthorizerType", ""),
        uri=item.get("AuthorizerUri", ""),
        identity_sources=tuple(item.get("IdentitySource") or ()),
    )


def stage_exists(client: ApiGatewayV2Client, api_id: str, stage_name: str) -> bool:
    try:
        client.get_stage(ApiId=api_id, StageName=stage_name)
    except ClientError as exc:
        if is_not_found(exc):
            return False
        raise
    return True
