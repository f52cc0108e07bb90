"""create_custom_domain / createCustomDomain: domain, API mapping, Route 53 alias."""

from __future__ import annotations

from io import StringIO
from typing import Any

import pytest
from django.core.management import CommandError, call_command

from django_aws_api_gateway_websockets.models import ApiGateway
from django_aws_api_gateway_websockets.provisioning import ProvisioningError

from .conftest import plain_client
from .harness import STAND_IN_TARGET_ZONE_ID, StandIns

pytestmark = pytest.mark.django_db

CERTIFICATE = "arn:aws:acm:eu-west-1:123456789012:certificate/abc"


@pytest.fixture
def zone_id() -> str:
    zone = plain_client("route53").create_hosted_zone(Name="example.com", CallerReference="t")
    return str(zone["HostedZone"]["Id"]).split("/")[-1]


@pytest.fixture
def with_domain(record: ApiGateway, zone_id: str) -> ApiGateway:
    record.domain_name = "ws.example.com"
    record.certificate_arn = CERTIFICATE
    record.hosted_zone_id = zone_id
    record.save()
    record.create_gateway()
    return record


def alias_records(zone_id: str) -> list[dict[str, Any]]:
    listed = plain_client("route53").list_resource_record_sets(HostedZoneId=zone_id)
    return [item for item in listed["ResourceRecordSets"] if item["Type"] == "A"]


def test_domain_mapping_and_alias(with_domain: ApiGateway, apigw: Any, zone_id: str) -> None:
    # Another API already served under a path of the domain is left alone.
    other = apigw.create_api(Name="other", ProtocolType="WEBSOCKET")
    apigw.create_domain_name(
        DomainName="ws.example.com",
        DomainNameConfigurations=[{"CertificateArn": CERTIFICATE, "EndpointType": "REGIONAL"}],
    )
    apigw.create_api_mapping(
        DomainName="ws.example.com", ApiId=other["ApiId"], Stage="v1", ApiMappingKey="v1"
    )
    out = StringIO()

    call_command("createCustomDomain", f"--pk={with_domain.pk}", stdout=out)

    with_domain.refresh_from_db()
    domain = apigw.get_domain_name(DomainName="ws.example.com")
    (configuration,) = domain["DomainNameConfigurations"]
    assert configuration["EndpointType"] == "REGIONAL"
    assert configuration["CertificateArn"] == CERTIFICATE
    assert with_domain.api_gateway_domain_name == configuration["ApiGatewayDomainName"]

    mappings = apigw.get_api_mappings(DomainName="ws.example.com")["Items"]
    (mapping,) = [item for item in mappings if item["ApiId"] == with_domain.api_id]
    assert mapping["Stage"] == "production"
    assert with_domain.api_mapping_id == mapping["ApiMappingId"]

    (alias,) = alias_records(zone_id)
    assert alias["Name"] == "ws.example.com."
    assert alias["AliasTarget"]["DNSName"] == f"{with_domain.api_gateway_domain_name}."
    assert alias["AliasTarget"]["HostedZoneId"] == STAND_IN_TARGET_ZONE_ID

    assert with_domain.custom_domain_created is True
    assert with_domain.client_url == "wss://ws.example.com"
    assert "Clients connect to wss://ws.example.com" in out.getvalue()


def test_the_domain_created_is_regional_with_tls_1_2(with_domain: ApiGateway, apigw: Any) -> None:
    changes = with_domain.create_custom_domain()

    assert [change.resource for change in changes] == ["domain name", "API mapping", "DNS alias"]
    (configuration,) = apigw.get_domain_name(DomainName="ws.example.com")[
        "DomainNameConfigurations"
    ]
    assert configuration["EndpointType"] == "REGIONAL"
    assert configuration["SecurityPolicy"] == "TLS_1_2"
    assert configuration["CertificateArn"] == CERTIFICATE


def test_running_it_again_only_refreshes_the_alias(
    with_domain: ApiGateway, apigw: Any, zone_id: str
) -> None:
    with_domain.create_custom_domain()

    changes = with_domain.create_custom_domain()

    assert [change.resource for change in changes] == ["DNS alias"]
    assert len(apigw.get_api_mappings(DomainName="ws.example.com")["Items"]) == 1
    assert len(alias_records(zone_id)) == 1


def test_without_a_hosted_zone_no_dns_is_touched(with_domain: ApiGateway, zone_id: str) -> None:
    with_domain.hosted_zone_id = ""
    with_domain.save()

    with_domain.create_custom_domain()

    assert alias_records(zone_id) == []
    with_domain.refresh_from_db()
    assert with_domain.custom_domain_created is True


def test_a_failed_mapping_leaves_the_domain_not_created_until_a_rerun(
    with_domain: ApiGateway, aws_endpoint: StandIns, apigw: Any
) -> None:
    aws_endpoint.fail_once("POST", r"/v2/domainnames/[^/]+/apimappings")

    with pytest.raises(ProvisioningError, match="CreateApiMapping"):
        with_domain.create_custom_domain()

    with_domain.refresh_from_db()
    assert with_domain.custom_domain_created is False
    assert with_domain.provisioning_status == "failed"

    changes = with_domain.create_custom_domain()

    assert [change.resource for change in changes] == ["API mapping", "DNS alias"]
    with_domain.refresh_from_db()
    assert with_domain.custom_domain_created is True


def test_a_domain_mapped_to_another_api_is_not_taken_over(
    with_domain: ApiGateway, apigw: Any
) -> None:
    other = apigw.create_api(Name="other", ProtocolType="WEBSOCKET")
    apigw.create_domain_name(
        DomainName="ws.example.com",
        DomainNameConfigurations=[{"CertificateArn": CERTIFICATE, "EndpointType": "REGIONAL"}],
    )
    apigw.create_api_mapping(DomainName="ws.example.com", ApiId=other["ApiId"], Stage="prod")

    with pytest.raises(ProvisioningError, match=f"already mapped to API {other['ApiId']}"):
        with_domain.create_custom_domain()


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"api_created": False}, "run createApiGateway first"),
        ({"certificate_arn": ""}, "needs domain_name and certificate_arn"),
    ],
)
def test_preconditions(with_domain: ApiGateway, changes: dict[str, Any], message: str) -> None:
    ApiGateway.objects.filter(pk=with_domain.pk).update(**changes)
    with pytest.raises(CommandError, match=message):
        call_command("createCustomDomain", f"--pk={with_domain.pk}", stdout=StringIO())


def put_record(zone_id: str, record_set: dict[str, Any]) -> None:
    plain_client("route53").change_resource_record_sets(
        HostedZoneId=zone_id,
        ChangeBatch={"Changes": [{"Action": "CREATE", "ResourceRecordSet": record_set}]},
    )


def dns_records(zone_id: str) -> list[dict[str, Any]]:
    listed = plain_client("route53").list_resource_record_sets(HostedZoneId=zone_id)
    return [item for item in listed["ResourceRecordSets"] if item["Type"] not in ("NS", "SOA")]


ADDRESS = {
    "Name": "ws.example.com.",
    "Type": "A",
    "TTL": 300,
    "ResourceRecords": [{"Value": "192.0.2.7"}],
}


@pytest.mark.parametrize(
    ("existing", "kind"),
    [
        (ADDRESS, "A"),
        (
            {**ADDRESS, "Type": "AAAA", "ResourceRecords": [{"Value": "2001:db8::7"}]},
            "AAAA",
        ),
        (
            {
                "Name": "ws.example.com.",
                "Type": "A",
                "AliasTarget": {
                    "HostedZoneId": "ZOTHER",
                    "DNSName": "elb.elsewhere.example.",
                    "EvaluateTargetHealth": False,
                },
            },
            "A",
        ),
    ],
)
def test_a_dns_record_it_did_not_make_is_not_overwritten(
    with_domain: ApiGateway, zone_id: str, apigw: Any, existing: dict[str, Any], kind: str
) -> None:
    put_record(zone_id, existing)
    before = dns_records(zone_id)

    with pytest.raises(ProvisioningError) as raised:
        with_domain.create_custom_domain()

    assert f"already has a {kind} record for ws.example.com" in str(raised.value)
    assert dns_records(zone_id) == before
    # Refused before anything was created.
    assert apigw.get_domain_names()["Items"] == []
    with_domain.refresh_from_db()
    assert with_domain.custom_domain_created is False


def test_the_domain_created_is_tagged_as_managed(with_domain: ApiGateway, apigw: Any) -> None:
    with_domain.create_custom_domain()

    tags = apigw.get_domain_name(DomainName="ws.example.com")["Tags"]
    assert tags == {"team": "web", "managed-by": "django-aws-api-gateway-websockets"}


def test_an_existing_domain_is_used_but_not_claimed(with_domain: ApiGateway, apigw: Any) -> None:
    apigw.create_domain_name(
        DomainName="ws.example.com",
        DomainNameConfigurations=[{"CertificateArn": CERTIFICATE, "EndpointType": "REGIONAL"}],
        Tags={"owner": "platform"},
    )
    lines: list[str] = []

    with_domain.create_custom_domain(progress=lines.append)

    assert (
        "domain name ws.example.com was not created by this app: using it, "
        "teardown will leave it" in lines
    )
    assert apigw.get_domain_name(DomainName="ws.example.com")["Tags"] == {"owner": "platform"}
