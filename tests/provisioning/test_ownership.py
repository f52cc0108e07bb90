"""Only APIs this app created (tagged ``managed-by``) are changed, unless adopted."""

from __future__ import annotations

from io import StringIO
from typing import Any

import pytest
from botocore.exceptions import ClientError
from django.core.management import CommandError, call_command

from django_aws_api_gateway_websockets.models import ApiGateway
from django_aws_api_gateway_websockets.provisioning import (
    ProvisioningError,
    create_gateway,
    delete_gateway,
    sync_gateway,
)

from .harness import StandIns
from .helpers import OLD_PARAMETERS, build_by_hand, integrations, routes

pytestmark = pytest.mark.django_db

MANAGED = {"managed-by": "django-aws-api-gateway-websockets"}
SOURCE_IP = "integration.request.header.X-Ws-Source-Ip"
BASE = "https://app.example.com/ws/"


def api_arn(api_id: str) -> str:
    return f"arn:aws:apigateway:eu-west-1::/apis/{api_id}"


def snapshot(apigw: Any, api_id: str) -> tuple[Any, ...]:
    api = apigw.get_api(ApiId=api_id)
    return (
        api["Name"],
        api.get("Tags"),
        {key: route.get("Target") for key, route in routes(apigw, api_id).items()},
        {
            key: (item.get("Description"), item.get("RequestParameters"))
            for key, item in integrations(apigw, api_id).items()
        },
    )


@pytest.fixture
def foreign(apigw: Any) -> str:
    """Someone else's API: a route and an integration this app knows nothing of."""
    api_id = build_by_hand(apigw, tags={"owner": "billing"}, base="https://billing.example/")
    extra = apigw.create_integration(
        ApiId=api_id, IntegrationType="HTTP_PROXY", IntegrationUri="https://billing.example/x"
    )
    apigw.create_route(
        ApiId=api_id, RouteKey="invoice", Target=f"integrations/{extra['IntegrationId']}"
    )
    apigw.create_integration(
        ApiId=api_id,
        IntegrationType="HTTP_PROXY",
        IntegrationUri="https://billing.example/spare",
        Description="billing spare",
    )
    return api_id


@pytest.fixture
def pointing_at_foreign(record: ApiGateway, foreign: str) -> ApiGateway:
    record.api_id = foreign
    record.api_created = True
    record.save()
    return record


def test_the_api_created_is_tagged_as_managed(record: ApiGateway, apigw: Any) -> None:
    record.create_gateway()

    assert apigw.get_api(ApiId=record.api_id)["Tags"] == {"team": "web", **MANAGED}
    # The tag is the app's own: never shown as a difference.
    assert sync_gateway(record, dry_run=True) == []


def test_a_record_cannot_use_the_ownership_tag_itself(record: ApiGateway) -> None:
    record.tags = {"managed-by": "me"}
    record.save()

    with pytest.raises(ProvisioningError, match="tag 'managed-by' is reserved"):
        record.create_gateway()


def test_create_refuses_an_api_it_did_not_create(
    pointing_at_foreign: ApiGateway, apigw: Any, aws_endpoint: StandIns
) -> None:
    record = pointing_at_foreign
    before = snapshot(apigw, record.api_id)
    record.api_created = False
    record.save()
    aws_endpoint.reset()

    with pytest.raises(CommandError) as raised:
        call_command("createApiGateway", f"--pk={record.pk}", stdout=StringIO())

    message = str(raised.value)
    assert f"API {record.api_id} was not created by this app" in message
    assert f"createApiGateway --pk={record.pk} --adopt" in message
    assert aws_endpoint.writes() == []
    assert snapshot(apigw, record.api_id) == before
    record.refresh_from_db()
    assert record.provisioning_status == "failed"
    assert record.api_created is False


@pytest.mark.parametrize("dry_run", [True, False])
def test_sync_refuses_an_api_it_did_not_create(
    pointing_at_foreign: ApiGateway, apigw: Any, aws_endpoint: StandIns, dry_run: bool
) -> None:
    record = pointing_at_foreign
    before = snapshot(apigw, record.api_id)
    aws_endpoint.reset()

    with pytest.raises(ProvisioningError, match=f"syncapigateway --pk {record.pk} --adopt"):
        sync_gateway(record, dry_run=dry_run)

    assert aws_endpoint.writes() == []
    assert snapshot(apigw, record.api_id) == before


def test_delete_refuses_an_api_it_did_not_create(
    pointing_at_foreign: ApiGateway, apigw: Any, aws_endpoint: StandIns
) -> None:
    record = pointing_at_foreign
    aws_endpoint.reset()

    with pytest.raises(CommandError, match=f"deleteapigateway --pk {record.pk} --adopt"):
        call_command("deleteapigateway", "--pk", str(record.pk), stdout=StringIO())

    assert aws_endpoint.writes() == []
    assert apigw.get_api(ApiId=record.api_id)["Name"] == "Chat"
    record.refresh_from_db()
    assert record.api_id
    assert record.api_created is True


def test_an_api_tagged_by_another_tool_is_refused(
    pointing_at_foreign: ApiGateway, apigw: Any
) -> None:
    record = pointing_at_foreign
    apigw.tag_resource(ResourceArn=api_arn(record.api_id), Tags={"managed-by": "terraform"})

    with pytest.raises(ProvisioningError, match="tagged managed-by=terraform"):
        sync_gateway(record)


def test_adopting_converges_but_keeps_what_is_not_the_apps(
    pointing_at_foreign: ApiGateway, apigw: Any
) -> None:
    record = pointing_at_foreign
    out = StringIO()

    call_command("createApiGateway", f"--pk={record.pk}", "--adopt", stdout=out)

    api = apigw.get_api(ApiId=record.api_id)
    # The record's tags and the ownership tag; the tag set by hand goes: adopting
    # makes the API match the record.
    assert api["Tags"] == {"team": "web", **MANAGED}
    assert sorted(routes(apigw, record.api_id)) == ["$connect", "$default", "$disconnect"]
    descriptions = sorted(
        item.get("Description", "") for item in integrations(apigw, record.api_id).values()
    )
    # Integrations without the app's description are never deleted, even unused.
    assert descriptions == [
        "",
        "billing spare",
        "django-aws-api-gateway-websockets route $connect",
        "django-aws-api-gateway-websockets route $default",
        "django-aws-api-gateway-websockets route $disconnect",
    ]
    text = out.getvalue()
    assert f"adopt api {record.api_id}: tag managed-by=django-aws-api-gateway-websockets" in text
    assert "integration billing spare was not created by this app: kept" in text
    record.refresh_from_db()
    assert record.api_created is True

    # Adopted once, it is the app's: no --adopt needed any more.
    assert sync_gateway(record) == []


def test_sync_keeps_tags_set_by_hand_unless_adopting(record: ApiGateway, apigw: Any) -> None:
    record.create_gateway()
    apigw.tag_resource(ResourceArn=api_arn(record.api_id), Tags={"cost-centre": "42"})
    lines: list[str] = []

    assert sync_gateway(record, progress=lines.append) == []

    assert apigw.get_api(ApiId=record.api_id)["Tags"] == {
        "team": "web",
        "cost-centre": "42",
        **MANAGED,
    }
    assert f"tags of API {record.api_id} not on the record, kept: cost-centre" in "\n".join(lines)

    out = StringIO()
    call_command("syncapigateway", "--pk", str(record.pk), "--adopt", stdout=out)

    assert f"delete tags {record.api_id}: cost-centre" in out.getvalue()
    assert apigw.get_api(ApiId=record.api_id)["Tags"] == {"team": "web", **MANAGED}


def test_an_api_built_by_an_earlier_version_is_adopted_once(record: ApiGateway, apigw: Any) -> None:
    record.api_id = build_by_hand(apigw, tags={"team": "web"}, base=BASE)
    record.api_created = True
    record.save()

    with pytest.raises(ProvisioningError, match="--adopt"):
        sync_gateway(record, dry_run=True)
    preview = [str(change) for change in sync_gateway(record, dry_run=True, adopt=True)]
    assert preview[0] == (
        f"adopt api {record.api_id}: tag managed-by=django-aws-api-gateway-websockets"
    )

    record.sync_gateway(adopt=True)

    assert apigw.get_api(ApiId=record.api_id)["Tags"] == {"team": "web", **MANAGED}
    for item in integrations(apigw, record.api_id).values():
        assert item["RequestParameters"] == {
            **OLD_PARAMETERS,
            SOURCE_IP: "context.identity.sourceIp",
        }


def test_delete_with_adopt_removes_an_api_it_did_not_create(
    pointing_at_foreign: ApiGateway, apigw: Any
) -> None:
    record = pointing_at_foreign
    api_id = record.api_id

    call_command("deleteapigateway", "--pk", str(record.pk), "--adopt", stdout=StringIO())

    with pytest.raises(ClientError, match="NotFound"):
        apigw.get_api(ApiId=api_id)
    record.refresh_from_db()
    assert record.api_id == ""


def test_delete_removes_an_api_it_created_even_if_creation_failed(
    record: ApiGateway, apigw: Any, aws_endpoint: StandIns
) -> None:
    aws_endpoint.fail_once("POST", r"/v2/apis/[^/]+/routes")
    with pytest.raises(ProvisioningError):
        create_gateway(record)
    api_id = record.api_id
    assert record.api_created is False

    delete_gateway(record)

    with pytest.raises(ClientError, match="NotFound"):
        apigw.get_api(ApiId=api_id)


def test_delete_stops_when_ownership_cannot_be_read(
    record: ApiGateway, apigw: Any, aws_endpoint: StandIns
) -> None:
    record.create_gateway()
    aws_endpoint.fail_once("GET", rf"/v2/apis/{record.api_id}", code="AccessDeniedException")

    with pytest.raises(ProvisioningError, match="GetApi: AccessDeniedException"):
        delete_gateway(record)

    assert apigw.get_api(ApiId=record.api_id)["Name"] == "Chat"
