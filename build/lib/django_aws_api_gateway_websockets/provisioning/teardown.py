"""Remove a gateway's AWS resources and forget them on the record."""

from __future__ import annotations

from collections.abc import Callable

from botocore.exceptions import ClientError

from ..models import WebSocketSession
from ..models.gateway import ApiGateway, IntegrationType, ProvisioningStatus
from . import clients, dns, lambda_permission
from .changes import Change, ChangeLog
from .errors import is_not_found
from .progress import Progress, reporter
from .record import operation, save_fields

# The record's fields that describe AWS resources, and their "nothing" values.
AWS_FIELDS: dict[str, object] = {
    "api_id": "",
    "api_endpoint": "",
    "api_gateway_domain_name": "",
    "api_mapping_id": "",
    "deployment_id": "",
    "api_created": False,
    "custom_domain_created": False,
}


def _ignore_missing(call: Callable[[], object]) -> None:
    # Gone already (by hand, or by an earlier run that failed later on): fine.
    try:
        call()
    except ClientError as exc:
        if not is_not_found(exc):
            raise


def delete_gateway(gateway: ApiGateway, *, progress: Progress | None = None) -> list[Change]:
    """Delete DNS alias, API mapping, domain, Lambda permission and API; safe to re-run."""
    report = reporter(progress)
    log = ChangeLog(report, dry_run=False)
    with operation(gateway, "Delete API Gateway", report, done=ProvisioningStatus.NOT_CREATED):
        if gateway.domain_name and (gateway.custom_domain_created or gateway.api_mapping_id):
            _delete_domain(gateway, log)
        if gateway.api_id:
            if gateway.integration_type == IntegrationType.LAMBDA and gateway.lambda_function_arn:
                log(
                    Change("delete", "lambda permission", gateway.api_id),
                    lambda: lambda_permission.remove_permission(
                        gateway.lambda_function_arn, gateway.api_id
                    ),
                )
            client = clients.apigatewayv2()
            log(
                Change("delete", "api", gateway.api_id, "with its routes, integrations, stages"),
                lambda: _ignore_missing(lambda: client.delete_api(ApiId=gateway.api_id)),
            )
        closed = WebSocketSession.objects.filter(api_gateway=gateway, connected=True).update(
            connected=False
        )
        report(f"{closed} session(s) marked disconnected")
        for name, value in AWS_FIELDS.items():
            setattr(gateway, name, value)
        save_fields(gateway, *AWS_FIELDS)
    return log.changes


def _delete_domain(gateway: ApiGateway, log: ChangeLog) -> None:
    client = clients.apigatewayv2()
    domain = gateway.domain_name
    record = dns.find_record(gateway.hosted_zone_id, domain) if gateway.hosted_zone_id else None
    if record is not None:
        log(
            Change("delete", "DNS alias", domain),
            lambda: dns.delete_record(gateway.hosted_zone_id, record),
        )
    try:
        client.get_domain_name(DomainName=domain)
    except ClientError as exc:
        if is_not_found(exc):
            return
        raise
    mappings = client.get_api_mappings(DomainName=domain).get("Items", [])
    ours = [mapping for mapping in mappings if mapping["ApiId"] == gateway.api_id]
    for mapping in ours:
        mapping_id = mapping["ApiMappingId"]
        log(
            Change("delete", "API mapping", domain, mapping_id),
            lambda mapping_id=mapping_id: _ignore_missing(  # type: ignore[misc]
                lambda: client.delete_api_mapping(ApiMappingId=mapping_id, DomainName=domain)
            ),
        )
    if len(ours) < len(mappings):
        log.report(f"domain {domain} still serves other APIs: kept")
        return
    log(
        Change("delete", "domain name", domain),
        lambda: _ignore_missing(lambda: client.delete_domain_name(DomainName=domain)),
    )
