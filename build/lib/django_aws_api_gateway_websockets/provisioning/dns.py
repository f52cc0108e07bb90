"""The Route 53 alias record that points a custom domain at API Gateway."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Final, Literal

from . import clients

if TYPE_CHECKING:
    from mypy_boto3_route53.type_defs import ResourceRecordSetOutputTypeDef

RECORD_TYPE: Final[Literal["A"]] = "A"


def _absolute(name: str) -> str:
    return name if name.endswith(".") else f"{name}."


def alias_record(domain_name: str, target: str, target_zone_id: str) -> dict[str, Any]:
    return {
        "Name": _absolute(domain_name),
        "Type": RECORD_TYPE,
        "AliasTarget": {
            "HostedZoneId": target_zone_id,
            "DNSName": _absolute(target),
            "EvaluateTargetHealth": False,
        },
    }


def upsert_alias(zone_id: str, domain_name: str, target: str, target_zone_id: str) -> None:
    clients.route53().change_resource_record_sets(
        HostedZoneId=zone_id,
        ChangeBatch={
            "Comment": "django-aws-api-gateway-websockets custom domain",
            "Changes": [
                {
                    "Action": "UPSERT",
                    "ResourceRecordSet": alias_record(  # type: ignore[typeddict-item]
                        domain_name, target, target_zone_id
                    ),
                }
            ],
        },
    )


def find_record(zone_id: str, domain_name: str) -> ResourceRecordSetOutputTypeDef | None:
    listed = clients.route53().list_resource_record_sets(
        HostedZoneId=zone_id,
        StartRecordName=_absolute(domain_name),
        StartRecordType=RECORD_TYPE,
        MaxItems="1",
    )
    for record in listed.get("ResourceRecordSets", []):
        name = record["Name"].rstrip(".").lower()
        if name == domain_name.rstrip(".").lower() and record["Type"] == RECORD_TYPE:
            return record
    return None


def delete_record(zone_id: str, record: ResourceRecordSetOutputTypeDef) -> None:
    """Route 53 deletes a record only when given exactly as it is: pass what find_record found."""
    clients.route53().change_resource_record_sets(
        HostedZoneId=zone_id,
        ChangeBatch={"Changes": [{"Action": "DELETE", "ResourceRecordSet": record}]},
    )
