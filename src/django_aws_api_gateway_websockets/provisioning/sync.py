"""Show and apply the differences between a created gateway's record and AWS."""

from __future__ import annotations

from ..models import ApiGateway
from . import clients
from .changes import Change, ChangeLog
from .converge import converge
from .errors import ProvisioningError
from .ownership import check_api_owned
from .plan import build_plan
from .progress import Progress, reporter
from .record import expected_errors, operation
from .state import read_api


def sync_gateway(
    gateway: ApiGateway,
    *,
    dry_run: bool = False,
    adopt: bool = False,
    progress: Progress | None = None,
) -> list[Change]:
    """Make AWS match the record (and undo changes made by hand), then redeploy.

    With ``dry_run`` nothing is changed, in AWS or on the record. An API this
    app did not create is refused unless ``adopt``.
    """
    report = reporter(progress)
    log = ChangeLog(report, dry_run=dry_run)
    if dry_run:
        with expected_errors("Sync API Gateway (dry run)"):
            _sync(gateway, log, adopt=adopt)
    else:
        with operation(gateway, "Sync API Gateway", report):
            _sync(gateway, log, adopt=adopt)
    if not log.changes:
        report("AWS already matches the record: nothing to change")
    return log.changes


def _sync(gateway: ApiGateway, log: ChangeLog, *, adopt: bool) -> None:
    if not gateway.api_created or not gateway.api_id:
        raise ProvisioningError(
            f"gateway {gateway.pk} has not been created in AWS yet: run createApiGateway"
        )
    plan = build_plan(gateway)
    client = clients.apigatewayv2()
    actual = read_api(client, gateway.api_id, plan.stage_name)
    if actual is None:
        raise ProvisioningError(
            f"API {gateway.api_id} no longer exists in AWS: run createApiGateway to create it again"
        )
    check_api_owned(actual.tags, actual.api_id, f"syncapigateway --pk {gateway.pk}", adopt=adopt)
    converge(client, gateway, plan, actual, log, adopt=adopt)
