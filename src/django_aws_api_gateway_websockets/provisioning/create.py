"""Create a gateway's WebSocket API, or finish creating it after a failure."""

from __future__ import annotations

from typing import TYPE_CHECKING, Final, Literal

from ..models import ApiGateway
from . import clients
from .changes import Change, ChangeLog
from .converge import converge, websocket_endpoint
from .errors import ProvisioningError
from .ownership import check_api_owned
from .plan import GatewayPlan, build_plan
from .progress import Progress, reporter
from .record import operation, save_fields
from .state import ActualApi, read_api

if TYPE_CHECKING:
    from mypy_boto3_apigatewayv2 import ApiGatewayV2Client

PROTOCOL: Final[Literal["WEBSOCKET"]] = "WEBSOCKET"


def create_gateway(
    gateway: ApiGateway, *, adopt: bool = False, progress: Progress | None = None
) -> list[Change]:
    """Idempotent: a second run changes nothing, a run after a failure finishes the job.

    An existing API the record names is converged only if this app created it
    (its ``managed-by`` tag), or when ``adopt`` says to take it over.
    """
    report = reporter(progress)
    log = ChangeLog(report, dry_run=False)
    with operation(gateway, "Create API Gateway", report):
        plan = build_plan(gateway)
        client = clients.apigatewayv2()
        actual = read_api(client, gateway.api_id, plan.stage_name) if gateway.api_id else None
        if actual is None:
            if gateway.api_id:
                report(f"API {gateway.api_id} does not exist in AWS; creating a new one")
            actual = _create_api(client, gateway, plan, log)
        else:
            check_api_owned(
                actual.tags, actual.api_id, f"createApiGateway --pk={gateway.pk}", adopt=adopt
            )
        converge(client, gateway, plan, actual, log, adopt=adopt)
        gateway.api_created = True
        save_fields(gateway, "api_created")
        report(f"endpoint {gateway.api_endpoint}, stage {plan.stage_name}")
    return log.changes


def _create_api(
    client: ApiGatewayV2Client, gateway: ApiGateway, plan: GatewayPlan, log: ChangeLog
) -> ActualApi:
    def apply() -> None:
        created = client.create_api(
            Name=plan.api.name,
            ProtocolType=PROTOCOL,
            RouteSelectionExpression=plan.api.route_selection_expression,
            ApiKeySelectionExpression=plan.api.api_key_selection_expression,
            Description=plan.api.description,
            Tags=dict(plan.api.tags),
        )
        # Saved at once: whatever fails next, the next run finds this API.
        gateway.api_id = created["ApiId"]
        gateway.api_endpoint = websocket_endpoint(created.get("ApiEndpoint", ""))
        gateway.deployment_id = ""
        gateway.api_created = False
        save_fields(gateway, "api_id", "api_endpoint", "deployment_id", "api_created")

    log(Change("create", "api", plan.api.name, PROTOCOL), apply)
    actual = read_api(client, gateway.api_id, plan.stage_name)
    if actual is None:  # pragma: no cover - AWS lost an API it just created
        raise ProvisioningError(f"API {gateway.api_id} vanished right after being created")
    return actual
