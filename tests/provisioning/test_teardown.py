"""delete_gateway / deleteapigateway."""

from __future__ import annotations

from io import StringIO
from typing import Any

import pytest
from botocore.exceptions import ClientError
from django.core.management import CommandError, call_command

from django_aws_api_gateway_websockets.models import ApiGateway, WebSocketSession
from django_aws_api_gateway_websockets.provisioning import delete_gateway

from .conftest import plain_client
from .harness import StandIns
from .test_custom_domain import CERTIFICATE, alias_records

pytestmark = pytest.mark.django_db


@pytest.fixture
def full(record: ApiGateway) -> ApiGateway:
    zone = plain_client("route53").create_hosted_zone(Name="example.com", CallerReference="t")
    record.domain_name = "ws.example.com"
    record.certificate_arn = CERTIFICATE
    record.hosted_zone_id = str(zone["HostedZone"]["Id"]).split("/")[-1]
    record.save()
    record.create_gateway()
    record.create_custom_domain()
    return record


def test_delete_removes_everything_and_resets_the_record(full: ApiGateway, apigw: Any) -> None:
    api_id = full.api_id
    live = WebSocketSession.objects.create(connection_id="a", channel_name="c", api_gateway=full)
    other = ApiGateway.objects.create(api_name="Other", target_base_endpoint="https://o.example/")
    elsewhere = WebSocketSession.objects.create(
        connection_id="b", channel_name="c", api_gateway=other
    )
    out = StringIO()

    call_command("deleteapigateway", "--pk", str(full.pk), stdout=out)

    with pytest.raises(ClientError, match="NotFound"):
        apigw.get_api(ApiId=api_id)
    with pytest.raises(ClientError, match="NotFound"):
        apigw.get_domain_name(DomainName="ws.example.com")
    assert alias_records(full.hosted_zone_id) == []
    live.refresh_from_db()
    elsewhere.refresh_from_db()
    assert live.connected is False
    assert elsewhere.connected is True

    full.refresh_from_db()
    assert (full.api_id, full.api_endpoint, full.api_mapping_id, full.deployment_id) == (
        "",
        "",
        "",
        "",
    )
    assert full.api_gateway_domain_name == ""
    assert full.api_created is False
    assert full.custom_domain_created is False
    assert full.provisioning_status == "not_created"
    assert full.domain_name == "ws.example.com"  # the record's own settings stay
    text = out.getvalue()
    assert "delete DNS alias ws.example.com ..." in text
    assert "1 session(s) marked disconnected" in text
    assert "Deleted (4 resource(s) removed)." in text


def test_delete_tolerates_resources_already_gone(full: ApiGateway, apigw: Any) -> None:
    route53 = plain_client("route53")
    (alias,) = alias_records(full.hosted_zone_id)
    route53.change_resource_record_sets(
        HostedZoneId=full.hosted_zone_id,
        ChangeBatch={"Changes": [{"Action": "DELETE", "ResourceRecordSet": alias}]},
    )
    apigw.delete_api(ApiId=full.api_id)
    mapping = apigw.get_api_mappings(DomainName="ws.example.com")["Items"][0]
    apigw.delete_api_mapping(DomainName="ws.example.com", ApiMappingId=mapping["ApiMappingId"])
    apigw.delete_domain_name(DomainName="ws.example.com")

    changes = delete_gateway(full)

    assert [change.resource for change in changes] == ["api"]
    assert full.api_created is False
    assert delete_gateway(full) == []


def test_a_domain_other_apis_still_use_is_kept(full: ApiGateway, apigw: Any) -> None:
    other = apigw.create_api(Name="other", ProtocolType="WEBSOCKET")
    apigw.create_api_mapping(
        DomainName="ws.example.com", ApiId=other["ApiId"], Stage="v2", ApiMappingKey="v2"
    )
    lines: list[str] = []

    delete_gateway(full, progress=lines.append)

    (remaining,) = apigw.get_api_mappings(DomainName="ws.example.com")["Items"]
    assert remaining["ApiId"] == other["ApiId"]
    assert "domain ws.example.com still serves other APIs: kept" in lines


def test_a_failed_delete_keeps_the_record_pointing_at_aws(
    full: ApiGateway, aws_endpoint: StandIns
) -> None:
    aws_endpoint.fail_once("DELETE", r"/v2/apis/[^/]+")

    with pytest.raises(CommandError, match="DeleteApi: BadRequestException"):
        call_command("deleteapigateway", "--pk", str(full.pk), stdout=StringIO())

    full.refresh_from_db()
    assert full.api_id
    assert full.api_created is True
    assert full.provisioning_status == "failed"


def test_an_unexpected_error_is_recorded_and_propagates(
    full: ApiGateway, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(**kwargs: Any) -> int:
        raise RuntimeError("bug")

    monkeypatch.setattr(WebSocketSession.objects, "filter", broken)

    with pytest.raises(RuntimeError, match="bug"):
        delete_gateway(full)

    full.refresh_from_db()
    assert full.provisioning_status == "failed"
    assert "RuntimeError('bug')" in full.provisioning_error


def test_a_dns_record_no_longer_pointing_at_the_domain_is_kept(
    full: ApiGateway, apigw: Any
) -> None:
    (alias,) = alias_records(full.hosted_zone_id)
    elsewhere = {**alias, "AliasTarget": {**alias["AliasTarget"], "DNSName": "lb.other.example."}}
    plain_client("route53").change_resource_record_sets(
        HostedZoneId=full.hosted_zone_id,
        ChangeBatch={
            "Changes": [
                {"Action": "UPSERT", "ResourceRecordSet": elsewhere},
                {
                    "Action": "CREATE",
                    "ResourceRecordSet": {
                        "Name": "ws.example.com.",
                        "Type": "TXT",
                        "TTL": 300,
                        "ResourceRecords": [{"Value": '"v=1"'}],
                    },
                },
            ]
        },
    )
    lines: list[str] = []

    changes = delete_gateway(full, progress=lines.append)

    (kept,) = alias_records(full.hosted_zone_id)
    assert kept["AliasTarget"]["DNSName"] == "lb.other.example."
    assert "DNS alias" not in [change.resource for change in changes]
    assert "the A record ws.example.com does not point at this gateway's domain: kept" in lines
    assert not any("TXT" in line for line in lines)  # not an address: not worth a word
    with pytest.raises(ClientError, match="NotFound"):  # the domain was the app's
        apigw.get_domain_name(DomainName="ws.example.com")


def test_a_domain_it_did_not_create_is_kept(record: ApiGateway, apigw: Any) -> None:
    zone = plain_client("route53").create_hosted_zone(Name="example.com", CallerReference="t")
    apigw.create_domain_name(
        DomainName="ws.example.com",
        DomainNameConfigurations=[{"CertificateArn": CERTIFICATE, "EndpointType": "REGIONAL"}],
    )
    record.domain_name = "ws.example.com"
    record.certificate_arn = CERTIFICATE
    record.hosted_zone_id = str(zone["HostedZone"]["Id"]).split("/")[-1]
    record.save()
    record.create_gateway()
    record.create_custom_domain()
    lines: list[str] = []

    changes = [str(change) for change in delete_gateway(record, progress=lines.append)]

    assert apigw.get_domain_name(DomainName="ws.example.com")["DomainName"] == "ws.example.com"
    assert apigw.get_api_mappings(DomainName="ws.example.com")["Items"] == []
    assert alias_records(record.hosted_zone_id) == []  # the alias was the app's
    assert not any(change.startswith("delete domain name") for change in changes)
    assert "domain name ws.example.com was not created by this app: kept" in lines


def test_the_alias_is_found_from_the_record_when_the_domain_is_gone(
    full: ApiGateway, apigw: Any
) -> None:
    route53 = plain_client("route53")
    txt = {
        "Name": "ws.example.com.",
        "Type": "TXT",
        "TTL": 300,
        "ResourceRecords": [{"Value": '"site-verification=1"'}],
    }
    route53.change_resource_record_sets(
        HostedZoneId=full.hosted_zone_id,
        ChangeBatch={"Changes": [{"Action": "CREATE", "ResourceRecordSet": txt}]},
    )
    mapping = apigw.get_api_mappings(DomainName="ws.example.com")["Items"][0]
    apigw.delete_api_mapping(DomainName="ws.example.com", ApiMappingId=mapping["ApiMappingId"])
    apigw.delete_domain_name(DomainName="ws.example.com")

    changes = [change.resource for change in delete_gateway(full)]

    assert changes == ["DNS alias", "api"]
    assert alias_records(full.hosted_zone_id) == []
    listed = route53.list_resource_record_sets(HostedZoneId=full.hosted_zone_id)
    assert [item["Type"] for item in listed["ResourceRecordSets"] if item["Type"] == "TXT"] == [
        "TXT"
    ]
