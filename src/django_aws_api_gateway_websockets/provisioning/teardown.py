"""Remove a gateway's AWS resources and forget them on the record."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from botocore.exceptions import ClientError

from .. import subscriptions
from ..models import WebSocketSession
from ..models.gateway import ApiGateway, IntegrationType, ProvisioningStatus
from . import clients, dns, lambda_permission
from .changes import Change, ChangeLog
from .custom_domain import find_domain
from .errors import is_not_found
from .ownership import check_api_owned, is_managed
from .progress import Progress, reporter
from .record import operation, save_fields

if TYPE_CHECKING:
    from mypy_boto3_apigatewayv2 import ApiGatewayV2Client

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


def delete_gateway(
    gateway: ApiGateway, *, adopt: bool = False, progress: Progress | None = None
) -> list[Change]:
    """Delete DNS alias, API mapping, domain, Lambda permission and API; safe to re-run.

    Only what this app made: an API without its ``managed-by`` tag is refused
    (nothing is deleted) unless ``adopt``; a domain name without the tag and a
    DNS record that is not an alias to the domain are always left alone.
    """
    report = reporter(progress)
    log = ChangeLog(report, dry_run=False)
    with operation(gateway, "Delete API Gateway", report, done=ProvisioningStatus.NOT_CREATED):
        client = clients.apigatewayv2()
        if gateway.api_id:
            tags = _api_tags(client, gateway.api_id)
            if tags is not None:  # still in AWS
                check_api_owned(
                    tags, gateway.api_id, f"deleteapigateway --pk {gateway.pk}", adopt=adopt
                )
        if gateway.domain_name and (gateway.custom_domain_created or gateway.api_mapping_id):
            _delete_domain(client, gateway, log)
        if gateway.api_id:
            if gateway.integration_type == IntegrationType.LAMBDA and gateway.lambda_function_arn:
                log(
                    Change("delete", "lambda permission", gateway.api_id),
                    lambda: lambda_permission.remove_permission(
                        gateway.lambda_function_arn, gateway.api_id
                    ),
                )
            if gateway.authorizer_function_arn:
                log(
                    Change("delete", "lambda permission", f"{gateway.api_id} authorizer"),
                    lambda: lambda_permission.remove_permission(
                        gateway.authorizer_function_arn,
                        gateway.api_id,
                        role=lambda_permission.AUTHORIZER,
                    ),
                )
            log(
                Change("delete", "api", gateway.api_id, "with its routes, integrations, stages"),
                lambda: _ignore_missing(lambda: client.delete_api(ApiId=gateway.api_id)),
            )
        closed = subscriptions.close_sessions(
            WebSocketSession.objects.filter(api_gateway=gateway, connected=True),
            touch=False,
            reason="admin",
        )
        report(f"{closed} session(s) marked disconnected")
        for name, value in AWS_FIELDS.items():
            setattr(gateway, name, value)
        save_fields(gateway, *AWS_FIELDS)
    return log.changes


def _api_tags(client: ApiGatewayV2Client, api_id: str) -> dict[str, str] | None:
    """The API's tags; None when it no longer exists."""
    try:
        return dict(client.get_api(ApiId=api_id).get("Tags") or {})
    except ClientError as exc:
        if is_not_found(exc):
            return None
        raise


def _delete_domain(client: ApiGatewayV2Client, gateway: ApiGateway, log: ChangeLog) -> None:
    domain = gateway.domain_name
    found = find_domain(client, domain)
    configurations = found["DomainNameConfigurations"] if found else []
    # What AWS says the target is; the record's copy if the domain is gone.
    target = next(
        (item["ApiGatewayDomainName"] for item in configurations if "ApiGatewayDomainName" in item),
        gateway.api_gateway_domain_name,
    )
    if gateway.hosted_zone_id:
        _delete_alias(gateway, target, log)
    if found is None:
        return
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
    if not is_managed(found.get("Tags")):
        log.report(f"domain name {domain} was not created by this app: kept")
        return
    log(
        Change("delete", "domain name", domain),
        lambda: _ignore_missing(lambda: client.delete_domain_name(DomainName=domain)),
    )


def _delete_alias(gateway: ApiGateway, target: str, log: ChangeLog) -> None:
    zone, domain = gateway.hosted_zone_id, gateway.domain_name
    record = dns.find_alias(zone, domain, target) if target else None
    if record is not None:
        log(Change("delete", "DNS alias", domain), lambda: dns.delete_record(zone, record))
        return
    for other in dns.records_named(zone, domain):
        if other["Type"] in dns.CONFLICTING_TYPES:
            log.report(
                f"the {other['Type']} record {domain} does not point at this gateway's domain: kept"
            )
