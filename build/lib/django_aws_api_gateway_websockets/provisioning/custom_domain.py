"""A REGIONAL custom domain for a created gateway, its API mapping and DNS alias."""

from __future__ import annotations

from typing import TYPE_CHECKING, Final, Literal

from botocore.exceptions import ClientError

from ..models import ApiGateway
from . import clients, dns
from .changes import Change, ChangeLog
from .errors import ProvisioningError, is_not_found
from .progress import Progress, reporter
from .record import operation, save_fields

if TYPE_CHECKING:
    from mypy_boto3_apigatewayv2 import ApiGatewayV2Client
    from mypy_boto3_apigatewayv2.type_defs import (
        DomainNameConfigurationOutputTypeDef,
        DomainNameConfigurationTypeDef,
    )

ENDPOINT_TYPE: Final[Literal["REGIONAL"]] = "REGIONAL"
SECURITY_POLICY: Final[Literal["TLS_1_2"]] = "TLS_1_2"


def create_custom_domain(gateway: ApiGateway, *, progress: Progress | None = None) -> list[Change]:
    """Idempotent like ``create_gateway``; marks the record only when all steps worked."""
    report = reporter(progress)
    log = ChangeLog(report, dry_run=False)
    with operation(gateway, "Create custom domain", report):
        _check(gateway)
        client = clients.apigatewayv2()
        config = _ensure_domain(client, gateway, log)
        target = config.get("ApiGatewayDomainName", "")
        gateway.api_gateway_domain_name = target
        save_fields(gateway, "api_gateway_domain_name")
        _ensure_mapping(client, gateway, log)
        if gateway.hosted_zone_id:
            target_zone = config.get("HostedZoneId", "")
            log(
                Change("update", "DNS alias", gateway.domain_name, f"A -> {target}"),
                lambda: dns.upsert_alias(
                    gateway.hosted_zone_id, gateway.domain_name, target, target_zone
                ),
            )
        gateway.custom_domain_created = True
        save_fields(gateway, "custom_domain_created")
        report(f"clients connect to wss://{gateway.domain_name}")
    return log.changes


def _check(gateway: ApiGateway) -> None:
    if not gateway.api_created or not gateway.api_id:
        raise ProvisioningError(
            f"gateway {gateway.pk} has not been created in AWS yet: run createApiGateway first"
        )
    if not gateway.domain_name or not gateway.certificate_arn:
        raise ProvisioningError("a custom domain needs domain_name and certificate_arn")


def _ensure_domain(
    client: ApiGatewayV2Client, gateway: ApiGateway, log: ChangeLog
) -> DomainNameConfigurationOutputTypeDef:
    try:
        found = client.get_domain_name(DomainName=gateway.domain_name)
    except ClientError as exc:
        if not is_not_found(exc):
            raise
    else:
        return found["DomainNameConfigurations"][0]

    created: list[DomainNameConfigurationOutputTypeDef] = []

    def apply() -> None:
        configuration: DomainNameConfigurationTypeDef = {
            "CertificateArn": gateway.certificate_arn,
            "EndpointType": ENDPOINT_TYPE,
            "SecurityPolicy": SECURITY_POLICY,
        }
        response = client.create_domain_name(
            DomainName=gateway.domain_name,
            DomainNameConfigurations=[configuration],
            Tags={str(key): str(value) for key, value in gateway.tags.items()},
        )
        created.extend(response["DomainNameConfigurations"])

    log(Change("create", "domain name", gateway.domain_name, ENDPOINT_TYPE), apply)
    return created[0]


def _ensure_mapping(client: ApiGatewayV2Client, gateway: ApiGateway, log: ChangeLog) -> None:
    stage = gateway.effective_stage_name
    mappings = client.get_api_mappings(DomainName=gateway.domain_name).get("Items", [])
    for mapping in mappings:
        if mapping.get("ApiMappingKey", "") != "":
            continue
        if mapping["ApiId"] != gateway.api_id or mapping["Stage"] != stage:
            raise ProvisioningError(
                f"{gateway.domain_name} is already mapped to API {mapping['ApiId']} stage "
                f"{mapping['Stage']}"
            )
        gateway.api_mapping_id = mapping["ApiMappingId"]
        save_fields(gateway, "api_mapping_id")
        return

    def apply() -> None:
        created = client.create_api_mapping(
            DomainName=gateway.domain_name, ApiId=gateway.api_id, Stage=stage
        )
        gateway.api_mapping_id = created["ApiMappingId"]
        save_fields(gateway, "api_mapping_id")

    log(Change("create", "API mapping", gateway.domain_name, f"{gateway.api_id} {stage}"), apply)
