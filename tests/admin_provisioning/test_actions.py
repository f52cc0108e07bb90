"""The four provisioning actions, run as a superuser through the admin."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import Permission, User
from django.test import Client, override_settings

from django_aws_api_gateway_websockets.models import ApiGateway, WebSocketSession
from tests.provisioning.conftest import SECRET, plain_client
from tests.provisioning.harness import StandIns
from tests.provisioning.helpers import integration_for, routes

from .conftest import shown_messages, url

pytestmark = pytest.mark.django_db

CERTIFICATE = "arn:aws:acm:eu-west-1:123456789012:certificate/abc"


def run_action(client: Client, action: str, *gateways: ApiGateway, **extra: str) -> Any:
    data = {"action": action, "_selected_action": [str(g.pk) for g in gateways], **extra}
    return client.post(url("changelist"), data, follow=True)


def test_create_api_gateway(admin_client: Client, record: ApiGateway, apigw: Any) -> None:
    response = run_action(admin_client, "create_api_gateway", record)

    assert response.status_code == 200
    record.refresh_from_db()
    assert record.api_created
    assert record.provisioning_status == "ready"
    assert sorted(routes(apigw, record.api_id)) == ["$connect", "$default", "$disconnect"]
    ((level, text),) = shown_messages(response)
    assert level == "success"
    assert text.startswith(f"Chat: API Gateway created; clients connect to {record.client_url} (")
    assert "<li>create route $connect" in text

    again = run_action(admin_client, "create_api_gateway", record)

    assert shown_messages(again) == [
        ("success", "Chat: the API Gateway already exists and matches the record; nothing changed.")
    ]


def test_a_failure_is_an_error_message_and_shown_on_the_change_page(
    admin_client: Client, record: ApiGateway, aws_endpoint: StandIns
) -> None:
    aws_endpoint.fail_once("POST", r"/v2/apis/[^/]+/routes")

    response = run_action(admin_client, "create_api_gateway", record)

    assert response.status_code == 200
    ((level, text),) = shown_messages(response)
    assert level == "error"
    assert text.startswith("Chat: Create API Gateway failed: CreateRoute: BadRequestException")
    record.refresh_from_db()
    assert not record.api_created
    assert record.provisioning_status == "failed"
    page = admin_client.get(url("change", record.pk)).content.decode()
    assert "failed" in page
    assert "CreateRoute: BadRequestException: injected failure" in page


def test_one_gateway_failing_does_not_stop_the_others(
    admin_client: Client, record: ApiGateway
) -> None:
    broken = ApiGateway.objects.create(
        api_name="Broken", target_base_endpoint="https://app.example.com/b/", tags=["not", "a dict"]
    )

    response = run_action(admin_client, "create_api_gateway", broken, record)

    levels = {text.split(":", 1)[0]: level for level, text in shown_messages(response)}
    assert levels == {"Broken": "error", "Chat": "success"}
    record.refresh_from_db()
    assert record.api_created


@override_settings(
    WEBSOCKETS={"gateway_secret": SECRET, "send_max_attempts": 1, "send_connect_timeout_seconds": 1}
)
def test_aws_out_of_reach_is_an_error_message_without_the_secret(
    admin_client: Client, record: ApiGateway, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Port 9 (discard) on loopback: nothing listens, the connection is refused.
    monkeypatch.setenv("AWS_ENDPOINT_URL_APIGATEWAYV2", "http://127.0.0.1:9")

    response = run_action(admin_client, "create_api_gateway", record)

    assert response.status_code == 200
    ((level, text),) = shown_messages(response)
    assert level == "error"
    assert "Could not connect to the endpoint URL" in text
    assert SECRET not in response.content.decode()


def test_create_custom_domain(admin_client: Client, created: ApiGateway, apigw: Any) -> None:
    created.domain_name = "ws.example.com"
    created.certificate_arn = CERTIFICATE
    created.save()

    response = run_action(admin_client, "create_custom_domain", created)

    ((level, text),) = shown_messages(response)
    assert level == "success"
    assert text.startswith("Chat: custom domain ready; clients connect to wss://ws.example.com (")
    created.refresh_from_db()
    assert created.custom_domain_created
    assert apigw.get_api_mappings(DomainName="ws.example.com")["Items"][0]["ApiId"] == (
        created.api_id
    )
    again = run_action(admin_client, "create_custom_domain", created)
    assert shown_messages(again) == [
        (
            "success",
            "Chat: the custom domain wss://ws.example.com is already set up; nothing changed.",
        )
    ]


def test_a_custom_domain_before_the_api_is_an_error(
    admin_client: Client, record: ApiGateway
) -> None:
    response = run_action(admin_client, "create_custom_domain", record)

    ((level, text),) = shown_messages(response)
    assert level == "error"
    assert "has not been created in AWS yet" in text


def test_sync_shows_the_differences_then_applies_them(
    admin_client: Client, created: ApiGateway, apigw: Any, aws_endpoint: StandIns
) -> None:
    connect = integration_for(apigw, created.api_id, "$connect")
    apigw.update_integration(
        ApiId=created.api_id,
        IntegrationId=connect["IntegrationId"],
        IntegrationUri="https://evil.example/connect",
    )
    deployments = len(aws_endpoint.deployments)

    preview = run_action(admin_client, "sync_with_aws", created)

    assert preview.status_code == 200
    assert preview.templates[0].name.endswith("provisioning_confirmation.html")
    page = preview.content.decode()
    assert (
        "<li>update integration $connect: uri https://evil.example/connect -&gt; "
        "https://app.example.com/ws/connect</li>"
    ) in page
    assert "<li>create deployment production</li>" in page
    assert integration_for(apigw, created.api_id, "$connect")["IntegrationUri"] == (
        "https://evil.example/connect"
    )

    applied = run_action(admin_client, "sync_with_aws", created, post="yes")

    ((level, text),) = shown_messages(applied)
    assert level == "success"
    assert text.startswith("Chat: synced with AWS and redeployed (2 changes):")
    assert integration_for(apigw, created.api_id, "$connect")["IntegrationUri"] == (
        "https://app.example.com/ws/connect"
    )
    assert len(aws_endpoint.deployments) == deployments + 1


def test_sync_when_aws_matches_says_so_without_a_page(
    admin_client: Client, created: ApiGateway, record: ApiGateway
) -> None:
    other = ApiGateway.objects.create(api_name="New", target_base_endpoint="https://x.example/")

    response = run_action(admin_client, "sync_with_aws", created, other)

    assert response.templates[0].name == "admin/change_list.html"
    assert sorted(shown_messages(response)) == [
        (
            "error",
            f"New: Sync API Gateway (dry run) failed: gateway {other.pk} has not been created "
            "in AWS yet: run createApiGateway",
        ),
        ("success", "Chat: AWS already matches the record."),
    ]


def test_sync_confirmed_after_aws_caught_up_reports_nothing_changed(
    admin_client: Client, created: ApiGateway
) -> None:
    response = run_action(admin_client, "sync_with_aws", created, post="yes")

    assert shown_messages(response) == [
        ("success", "Chat: AWS already matches the record; nothing changed.")
    ]


@override_settings(WEBSOCKETS={"gateway_secret": "new-secret-value"})
def test_sync_after_rotating_the_secret_never_shows_it(
    admin_client: Client, apigw: Any, record: ApiGateway
) -> None:
    with override_settings(WEBSOCKETS={"gateway_secret": SECRET}):
        record.create_gateway()

    preview = run_action(admin_client, "sync_with_aws", record)
    applied = run_action(admin_client, "sync_with_aws", record, post="yes")

    for response in (preview, applied):
        content = response.content.decode()
        assert "********" in content
        assert SECRET not in content
        assert "new-secret-value" not in content
    parameters = integration_for(apigw, record.api_id, "$default")["RequestParameters"]
    assert parameters["integration.request.header.X-Ws-Gateway-Secret"] == "'new-secret-value'"


def test_delete_from_aws_asks_first(admin_client: Client, created: ApiGateway, apigw: Any) -> None:
    WebSocketSession.objects.create(connection_id="c1", api_gateway=created, connected=True)
    api_id = created.api_id

    preview = run_action(admin_client, "delete_from_aws", created)

    page = preview.content.decode()
    assert f"<li>API {api_id} with its routes, integrations, stages and deployments</li>" in page
    assert "<li>1 connected session will be marked disconnected</li>" in page
    assert [api["ApiId"] for api in apigw.get_apis()["Items"]] == [api_id]

    deleted = run_action(admin_client, "delete_from_aws", created, post="yes")

    ((level, text),) = shown_messages(deleted)
    assert level == "success"
    assert text.startswith("Chat: deleted from AWS; the record stays")
    assert apigw.get_apis()["Items"] == []
    created.refresh_from_db()
    assert (created.api_created, created.api_id) == (False, "")
    assert not WebSocketSession.objects.get(connection_id="c1").connected


def test_delete_lists_the_domain_and_lambda_permission(
    admin_client: Client, record: ApiGateway, lambda_arn: str
) -> None:
    zone = plain_client("route53").create_hosted_zone(Name="example.com", CallerReference="t")
    record.integration_type = "lambda"
    record.lambda_function_arn = lambda_arn
    record.domain_name = "ws.example.com"
    record.certificate_arn = CERTIFICATE
    record.hosted_zone_id = zone["HostedZone"]["Id"].split("/")[-1]
    record.save()
    record.create_gateway()
    record.create_custom_domain()
    bare = ApiGateway.objects.create(api_name="Bare", target_base_endpoint="https://x.example/")

    page = run_action(admin_client, "delete_from_aws", record, bare).content.decode()

    assert f"<li>the DNS alias ws.example.com in hosted zone {record.hosted_zone_id}</li>" in page
    assert (
        "<li>the API mapping of ws.example.com, and the domain if this app created it "
        "and no other API uses it" in page
    )
    assert f"<li>the permission that lets this API invoke {lambda_arn}</li>" in page
    assert "<li>nothing: not in AWS</li>" in page

    deleted = run_action(admin_client, "delete_from_aws", record, bare, post="yes")

    assert [level for level, _ in shown_messages(deleted)] == ["success", "success"]
    assert plain_client("apigatewayv2").get_domain_names()["Items"] == []


def test_the_actions_need_the_change_permission(
    record: ApiGateway, django_user_model: type[User], aws_endpoint: StandIns
) -> None:
    viewer = django_user_model.objects.create_user(username="viewer", is_staff=True)
    viewer.user_permissions.set(Permission.objects.filter(codename="view_apigateway"))
    client = Client()
    client.force_login(viewer)

    changelist = client.get(url("changelist"))
    response = run_action(client, "create_api_gateway", record)

    assert changelist.context["action_form"] is None  # no action is offered
    record.refresh_from_db()
    assert not record.api_created
    assert response.status_code == 200
    assert aws_endpoint.writes() == []
