"""Bring an existing API to its plan, then deploy: shared by create and sync."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..models import ApiGateway
from . import lambda_permission
from .changes import Change, ChangeLog
from .plan import GatewayPlan
from .reconcile import reconcile
from .record import save_fields
from .state import ActualApi

if TYPE_CHECKING:
    from mypy_boto3_apigatewayv2 import ApiGatewayV2Client

DEPLOYMENT_DESCRIPTION = "django-aws-api-gateway-websockets"


def websocket_endpoint(api_endpoint: str) -> str:
    """``wss://`` endpoint of a WebSocket API (AWS answers so; moto answers ``https://``)."""
    if api_endpoint.startswith("https://"):
        return "wss://" + api_endpoint.removeprefix("https://")
    return api_endpoint


def converge(
    client: ApiGatewayV2Client,
    gateway: ApiGateway,
    plan: GatewayPlan,
    actual: ActualApi,
    log: ChangeLog,
    *,
    adopt: bool = False,
) -> None:
    endpoint = websocket_endpoint(actual.api_endpoint)
    if endpoint and endpoint != gateway.api_endpoint and not log.dry_run:
        gateway.api_endpoint = endpoint
        save_fields(gateway, "api_endpoint")
    before = len(log.changes)
    reconcile(client, plan, actual, log, adopt=adopt)
    if plan.lambda_function_arn:
        lambda_permission.ensure_permission(plan.lambda_function_arn, actual.api_id, log)
    if plan.authorizer is not None:
        lambda_permission.ensure_permission(
            plan.authorizer.function_arn, actual.api_id, log, role=lambda_permission.AUTHORIZER
        )
    if len(log.changes) > before or not gateway.deployment_id:
        deploy(client, gateway, plan.stage_name, log)


def deploy(
    client: ApiGatewayV2Client, gateway: ApiGateway, stage_name: str, log: ChangeLog
) -> None:
    def apply() -> None:
        created = client.create_deployment(
            ApiId=gateway.api_id, StageName=stage_name, Description=DEPLOYMENT_DESCRIPTION
        )
        gateway.deployment_id = created["DeploymentId"]
        save_fields(gateway, "deployment_id")

    log(Change("create", "deployment", stage_name), apply)
