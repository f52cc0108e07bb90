"""sync_gateway / syncapigateway: the record wins over AWS, and says what differs."""

from __future__ import annotations

from io import StringIO
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.test import override_settings

from django_aws_api_gateway_websockets.models import ApiGateway, ApiGatewayAdditionalRoute
from django_aws_api_gateway_websockets.provisioning import ProvisioningError, sync_gateway

from .conftest import SECRET
from .harness import StandIns
from .helpers import integration_by_route, integration_for, integrations, routes

pytestmark = pytest.mark.django_db

SECRET_HEADER = "integration.request.header.X-Ws-Gateway-Secret"


@pytest.fixture
def created(record: ApiGateway) -> ApiGateway:
    record.create_gateway()
    return record


def test_a_change_made_by_hand_is_shown_then_reverted(
    created: ApiGateway, apigw: Any, aws_endpoint: StandIns
) -> None:
    connect = integration_for(apigw, created.api_id, "$connect")
    apigw.update_integration(
        ApiId=created.api_id,
        IntegrationId=connect["IntegrationId"],
        IntegrationUri="https://evil.example/connect",
        IntegrationMethod="GET",
        TimeoutInMillis=500,
    )
    out = StringIO()

    call_command("syncapigateway", "--pk", str(created.pk), "--dry-run", stdout=out)

    assert (
        "would update integration $connect: method GET -> POST; "
        "uri https://evil.example/connect -> "
        "https://app.example.com/ws/connect; timeout 500 -> 10000 ms"
    ) in out.getvalue()
    assert "would create deployment production" in out.getvalue()
    assert "2 change(s) would be made." in out.getvalue()
    assert integration_for(apigw, created.api_id, "$connect")["TimeoutInMillis"] == 500
    assert len(aws_endpoint.deployments) == 1

    out = StringIO()
    call_command("syncapigateway", "--pk", str(created.pk), stdout=out)

    reverted = integration_for(apigw, created.api_id, "$connect")
    assert reverted["IntegrationUri"] == "https://app.example.com/ws/connect"
    assert reverted["TimeoutInMillis"] == 10_000
    assert reverted["IntegrationMethod"] == "POST"
    assert reverted["IntegrationId"] == connect["IntegrationId"]
    assert len(aws_endpoint.deployments) == 2
    created.refresh_from_db()
    assert created.deployment_id == aws_endpoint.deployments[-1]["deployment_id"]
    assert "2 change(s) made." in out.getvalue()

    assert sync_gateway(created) == []
    assert len(aws_endpoint.deployments) == 2


def test_additional_routes_added_edited_and_removed(
    created: ApiGateway, apigw: Any, aws_endpoint: StandIns
) -> None:
    chat = ApiGatewayAdditionalRoute.objects.create(
        api_gateway=created, name="Chat", route_key="chat", integration_url="https://c.example/1"
    )
    sync_gateway(created)
    assert integration_for(apigw, created.api_id, "chat")["IntegrationUri"] == (
        "https://c.example/1"
    )

    chat.integration_url = "https://c.example/2"
    chat.save()
    changes = sync_gateway(created)
    assert [str(change) for change in changes] == [
        "update integration chat: uri https://c.example/1 -> https://c.example/2",
        "create deployment production",
    ]
    assert integration_for(apigw, created.api_id, "chat")["IntegrationUri"] == (
        "https://c.example/2"
    )

    chat.route_key = "talk"
    chat.save()
    sync_gateway(created)
    assert sorted(routes(apigw, created.api_id)) == ["$connect", "$default", "$disconnect", "talk"]
    assert len(integrations(apigw, created.api_id)) == 4

    chat.delete()
    changes = sync_gateway(created)
    assert sorted(routes(apigw, created.api_id)) == ["$connect", "$default", "$disconnect"]
    assert len(integrations(apigw, created.api_id)) == 3
    assert [change.action for change in changes] == ["delete", "delete", "create"]
    assert len(aws_endpoint.deployments) == 5


def test_rotating_the_secret_updates_every_integration(created: ApiGateway, apigw: Any) -> None:
    with override_settings(WEBSOCKETS={"gateway_secret": SECRET}):
        sync_gateway(created)
    with override_settings(WEBSOCKETS={"gateway_secret": ["new-secret", SECRET]}):
        lines: list[str] = []
        changes = sync_gateway(created, progress=lines.append)

    assert {change.name for change in changes if change.resource == "integration"} == {
        "$connect",
        "$disconnect",
        "$default",
    }
    for item in integrations(apigw, created.api_id).values():
        assert item["RequestParameters"][SECRET_HEADER] == "'new-secret'"
    output = "\n".join(lines)
    assert "request parameter gateway secret ******** -> ********" in output
    assert SECRET not in output and "new-secret" not in output


def test_dropping_the_secret_replaces_the_integrations(created: ApiGateway, apigw: Any) -> None:
    with override_settings(WEBSOCKETS={"gateway_secret": SECRET}):
        sync_gateway(created)

    changes = sync_gateway(created)

    for item in integration_by_route(apigw, created.api_id).values():
        assert SECRET_HEADER not in item["RequestParameters"]
    assert len(integrations(apigw, created.api_id)) == 3
    assert [change.resource for change in changes].count("integration") == 6  # 3 new, 3 deleted


def test_api_fields_and_tags_follow_the_record(created: ApiGateway, apigw: Any) -> None:
    created.api_name = "Chat v2"
    created.api_description = ""
    created.route_selection_expression = "$request.body.handler"
    created.tags = {"team": "core", "env": "prod"}
    created.save()
    apigw.tag_resource(
        ResourceArn=f"arn:aws:apigateway:eu-west-1::/apis/{created.api_id}",
        Tags={"by-hand": "yes"},
    )

    sync_gateway(created)

    api = apigw.get_api(ApiId=created.api_id)
    assert api["Name"] == "Chat v2"
    assert api["RouteSelectionExpression"] == "$request.body.handler"
    # The tag set by hand is kept (see test_ownership: --adopt removes it).
    assert api["Tags"] == {
        "team": "core",
        "env": "prod",
        "by-hand": "yes",
        "managed-by": "django-aws-api-gateway-websockets",
    }


def test_routes_integrations_and_stage_removed_by_hand_come_back(
    created: ApiGateway, apigw: Any
) -> None:
    api_routes = routes(apigw, created.api_id)
    apigw.delete_route(ApiId=created.api_id, RouteId=api_routes["$disconnect"]["RouteId"])
    default_target = api_routes["$default"]["Target"].split("/")[1]
    apigw.delete_integration(ApiId=created.api_id, IntegrationId=default_target)
    apigw.delete_stage(ApiId=created.api_id, StageName="production")
    extra = apigw.create_integration(
        ApiId=created.api_id, IntegrationType="HTTP_PROXY", IntegrationUri="https://x.example/"
    )
    apigw.create_route(
        ApiId=created.api_id, RouteKey="sneaky", Target=f"integrations/{extra['IntegrationId']}"
    )

    changes = [str(change) for change in sync_gateway(created)]

    assert "delete route sneaky" in changes
    assert "create route $disconnect: https://app.example.com/ws/disconnect" in changes
    assert "update route $default: integration missing; recreating it" in changes
    assert "create stage production" in changes
    assert sorted(routes(apigw, created.api_id)) == ["$connect", "$default", "$disconnect"]
    # The integration made by hand (no description of the app's) is never deleted.
    assert len(integrations(apigw, created.api_id)) == 4
    assert extra["IntegrationId"] in integrations(apigw, created.api_id)
    assert integration_for(apigw, created.api_id, "$default")["IntegrationUri"] == (
        "https://app.example.com/ws/default"
    )
    assert apigw.get_stage(ApiId=created.api_id, StageName="production")


def test_sync_needs_a_created_gateway(record: ApiGateway) -> None:
    with pytest.raises(ProvisioningError, match="has not been created in AWS yet"):
        sync_gateway(record, dry_run=True)
    with pytest.raises(CommandError, match="has not been created in AWS yet"):
        call_command("syncapigateway", "--pk", str(record.pk), stdout=StringIO())
    record.refresh_from_db()
    assert record.provisioning_status == "failed"


def test_sync_reports_an_api_deleted_by_hand(created: ApiGateway, apigw: Any) -> None:
    apigw.delete_api(ApiId=created.api_id)
    with pytest.raises(ProvisioningError, match="no longer exists in AWS"):
        sync_gateway(created)


def test_nothing_to_sync_says_so(created: ApiGateway) -> None:
    out = StringIO()
    call_command("syncapigateway", "--pk", str(created.pk), "--dry-run", stdout=out)
    assert "AWS already matches the record: nothing to change" in out.getvalue()
    assert "No changes: AWS matches the record." in out.getvalue()


def test_a_description_edited_by_hand_and_a_stale_endpoint_are_restored(
    created: ApiGateway, apigw: Any
) -> None:
    endpoint = created.api_endpoint
    connect = integration_for(apigw, created.api_id, "$connect")
    apigw.update_integration(
        ApiId=created.api_id, IntegrationId=connect["IntegrationId"], Description="mine"
    )
    apigw.create_route(ApiId=created.api_id, RouteKey="bare")
    ApiGateway.objects.filter(pk=created.pk).update(api_endpoint="ws://127.0.0.1:8001")
    created.refresh_from_db()

    changes = [str(change) for change in created.sync_gateway()]

    assert "update integration $connect: description" in changes
    assert "delete route bare" in changes
    created.refresh_from_db()
    assert created.api_endpoint == endpoint
    assert integration_for(apigw, created.api_id, "$connect")["Description"] == (
        "django-aws-api-gateway-websockets route $connect"
    )


def test_sync_adds_the_source_ip_mapping_to_an_older_gateway(
    record: ApiGateway, apigw: Any
) -> None:
    from .helpers import OLD_PARAMETERS, build_by_hand

    record.api_id = build_by_hand(
        apigw,
        tags={"team": "web", "managed-by": "django-aws-api-gateway-websockets"},
        base="https://app.example.com/ws/",
    )
    record.api_created = True
    record.save()

    changes = [str(change) for change in sync_gateway(record)]

    assert (
        "update integration $connect: request parameter integration.request.header."
        "X-Ws-Source-Ip (none) -> context.identity.sourceIp"
    ) in changes
    for item in integrations(apigw, record.api_id).values():
        assert item["RequestParameters"] == {
            **OLD_PARAMETERS,
            "integration.request.header.X-Ws-Source-Ip": "context.identity.sourceIp",
        }
    assert sync_gateway(record) == []
