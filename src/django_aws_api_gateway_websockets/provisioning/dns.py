"""The Route 53 alias record that points a custom domain at API Gateway."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Final, Literal

from . import clients

if TYPE_CHECKING:
    from mypy_boto3_route53.type_defs import ResourceRecordSetOutputTypeDef

RECORD_TYPE: Final[Literal["A"]] = "A"
# Record types an A alias of the same name would overwrite or that Route 53
# refuses next to it: a record of one of these we did not make stops us.
CONFLICTING_TYPES = frozenset({"A", "AAAA", "CNAME"})
PAGE_SIZE = "300"


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


def _same_name(left: str, right: str) -> bool:
    return left.rstrip(".").lower() == right.rstrip(".").lower()


def records_named(zone_id: str, domain_name: str) -> list[ResourceRecordSetOutputTypeDef]:
    """Every record set of this exact name (any type, any routing policy)."""
    # Listed in order from the name; one page (Route 53's largest) holds all of
    # one name's records short of 300 weighted or latency records.
    listed = clients.route53().list_resource_record_sets(
        HostedZoneId=zone_id, StartRecordName=_absolute(domain_name), MaxItems=PAGE_SIZE
    )
    return [
        record
        for record in listed.get("ResourceRecordSets", [])
        if _same_name(record["Name"], domain_name)
    ]


def is_alias_to(record: ResourceRecordSetOutputTypeDef, target: str) -> bool:
    alias = record.get("AliasTarget")
    return alias is not None and bool(target) and _same_name(alias["DNSName"], target)


def conflicting_record(
    zone_id: str, domain_name: str, target: str
) -> ResourceRecordSetOutputTypeDef | None:
    """A record the alias would overwrite or clash with, unless it already aliases ``target``."""
    for record in records_named(zone_id, domain_name):
        if record["Type"] in CONFLICTING_TYPES and not is_alias_to(record, target):
            return record
    return None


def find_alias(
    zone_id: str, domain_name: str, target: str
) -> ResourceRecordSetOutputTypeDef | None:
    """Our alias: an ``A`` record of this name whose alias target is ``target``."""
    for record in records_named(zone_id, domain_name):
        if record["Type"] == RECORD_TYPE and is_alias_to(record, target):
            return record
    return None


def delete_record(zone_id: str, record: ResourceRecordSetOutputTypeDef) -> None:
    """Route 53 deletes a record only when given exactly as it is: pass what find_record found."""
    clients.route53().change_resource_record_sets(
        HostedZoneId=zone_id,
        ChangeBatch={"Changes": [{"Action": "DELETE", "ResourceRecordSet": record}]},
    )
