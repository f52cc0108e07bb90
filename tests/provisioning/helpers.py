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
