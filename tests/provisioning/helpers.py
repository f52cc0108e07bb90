"""Reading a WebSocket API back out of (moto's) AWS for assertions."""

from __future__ import annotations

from typing import Any


def routes(apigw: Any, api_id: str) -> dict[str, dict[str, Any]]:
    return {item["RouteKey"]: item for item in apigw.get_routes(ApiId=api_id)["Items"]}


def integrations(apigw: Any, api_id: str) -> dict[str, dict[str, Any]]:
    return {item["IntegrationId"]: item for item in apigw.get_integrations(ApiId=api_id)["Items"]}


def integration_for(apigw: Any, api_id: str, route_key: str) -> dict[str, Any]:
    target = routes(apigw, api_id)[route_key]["Target"]
    return dict(apigw.get_integration(ApiId=api_id, IntegrationId=target.split("/", 1)[1]))


def integration_by_route(apigw: Any, api_id: str) -> dict[str, dict[str, Any]]:
    return {key: integration_for(apigw, api_id, key) for key in routes(apigw, api_id)}


PREFIX = "django-aws-api-gateway-websockets route "
OLD_PARAMETERS = {"integration.request.header.Connectionid": "context.connectionId"}


def build_by_hand(apigw: Any, *, tags: dict[str, str], base: str) -> str:
    """An API as version 4 of this app built it: no ownership tag, no source IP header."""
    api_id = str(
        apigw.create_api(
            Name="Chat",
            ProtocolType="WEBSOCKET",
            RouteSelectionExpression="$request.body.action",
            ApiKeySelectionExpression="$request.header.x-api-key",
            Description="Chat for the shop",
            Tags=tags,
        )["ApiId"]
    )
    for key in ("$connect", "$disconnect", "$default"):
        integration = apigw.create_integration(
            ApiId=api_id,
            IntegrationType="HTTP_PROXY",
            IntegrationMethod="POST",
            IntegrationUri=f"{base}{key.lstrip('$')}",
            TimeoutInMillis=10_000,
            Description=f"{PREFIX}{key}",
            RequestParameters=OLD_PARAMETERS,
        )
        route = apigw.create_route(
            ApiId=api_id, RouteKey=key, Target=f"integrations/{integration['IntegrationId']}"
        )
        if key == "$default":
            apigw.create_route_response(
                ApiId=api_id, RouteId=route["RouteId"], RouteResponseKey="$default"
            )
            apigw.update_route(
                ApiId=api_id, RouteId=route["RouteId"], RouteResponseSelectionExpression="$default"
            )
    apigw.create_stage(ApiId=api_id, StageName="production")
    return api_id
