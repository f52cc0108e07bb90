"""A REGIONAL custom domain for a created gateway, its API mapping and DNS alias."""

from __future__ import annotations

from typing import TYPE_CHECKING, Final, Literal

from botocore.exceptions import ClientError

from ..models import ApiGateway
from . import clients, dns
from .changes import Change, ChangeLog
from .errors import ProvisioningError, is_not_found
from .ownership import MANAGED_TAGS, is_managed
from .progress import Progress, reporter
from .record import operation, save_fields

if TYPE_CHECKING:
    from mypy_boto3_apigatewayv2 import ApiGatewayV2Client
    from mypy_boto3_apigatewayv2.type_defs import (
        DomainNameConfigurationOutputTypeDef,
        DomainNameConfigurationTypeDef,
        GetDomainNameResponseTypeDef,
    )

ENDPOINT_TYPE: Final[Literal["REGIONAL"]] = "REGIONAL"
SECURITY_POLICY: Final[Literal["TLS_1_2"]] = "TLS_1_2"


def has_custom_domain(gateway: ApiGateway) -> bool:
    """Whether the record describes a custom domain (the exports include it)."""
    return bool(gateway.domain_name and gateway.certificate_arn)


def domain_client_url(gateway: ApiGateway) -> str:
    # The API mapping puts the stage at the domain's root.
    return f"wss://{gateway.domain_name}"


def create_custom_domain(gateway: ApiGateway, *, progress: Progress | None = None) -> list[Change]:
    """Idempotent like ``create_gateway``; marks the record only when all steps worked."""
    report = reporter(progress)
    log = ChangeLog(report, dry_run=False)
    with operation(gateway, "Create custom domain", report):
        _check(gateway)
        client = clients.apigatewayv2()
        found = find_domain(client, gateway.domain_name)
        if found is None:
            if gateway.hosted_zone_id:
                _check_dns(gateway, target="")  # before anything is created
            config = _create_domain(client, gateway, log)
        else:
            config = found["DomainNameConfigurations"][0]
            if not is_managed(found.get("Tags")):
                report(
                    f"domain name {gateway.domain_name} was not created by this app: "
                    "using it, teardown will leave it"
                )
        target = config.get("ApiGatewayDomainName", "")
        gateway.api_gateway_domain_name = target
        save_fields(gateway, "api_gateway_domain_name")
        _ensure_mapping(client, gateway, log)
        if gateway.hosted_zone_id:
            _check_dns(gateway, target)
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


def find_domain(
    client: ApiGatewayV2Client, domain_name: str
) -> GetDomainNameResponseTypeDef | None:
    try:
        return client.get_domain_name(DomainName=domain_name)
    except ClientError as exc:
        if is_not_found(exc):
            return None
        raise


def _check_dns(gateway: ApiGateway, target: str) -> None:
    """Refuse to overwrite a record someone else made (an UPSERT would replace it)."""
    record = dns.conflicting_record(gateway.hosted_zone_id, gateway.domain_name, target)
    if record is None:
        return
    pointing = f"an alias to {target}" if target else "an alias to this gateway's domain"
    raise ProvisioningError(
        f"hosted zone {gateway.hosted_zone_id} already has a {record['Type']} record for "
        f"{gateway.domain_name} that is not {pointing}: not overwritten. Delete that "
        "record, or clear hosted_zone_id and point DNS at the domain yourself"
    )


def _create_domain(
    client: ApiGatewayV2Client, gateway: ApiGateway, log: ChangeLog
) -> DomainNameConfigurationOutputTypeDef:
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
            # The tag is what lets teardown delete the domain: it is the app's.
            Tags={
                **{str(key): str(value) for key, value in gateway.tags.items()},
                **MANAGED_TAGS,
            },
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
