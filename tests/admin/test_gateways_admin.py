from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from django_aws_api_gateway_websockets.models import ApiGateway, ApiGatewayAdditionalRoute

pytestmark = pytest.mark.django_db

INLINE = "additional_routes"


def url(name: str, *args: object) -> str:
    return reverse(f"admin:django_aws_api_gateway_websockets_apigateway_{name}", args=args)


def form_data(**overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "api_name": "Chat",
        "api_description": "",
        "target_base_endpoint": "https://app.example.com/ws/",
        "default_channel_name": "lobby",
        "integration_type": "http",
        "lambda_function_arn": "",
        "integration_timeout_ms": "29000",
        "route_selection_expression": "$request.body.action",
        "route_key": "action",
        "api_key_selection_expression": "$request.header.x-api-key",
        "stage_name": "",
        "stage_description": "",
        "tags": "{}",
        "domain_name": "",
        "certificate_arn": "",
        "hosted_zone_id": "",
        "connect_authorization": "none",
        "authorizer_function_arn": "",
        "authorizer_identity_sources": "[]",
        "authorizer_context_keys": "[]",
        "api_id": "",
        "api_endpoint": "",
        f"{INLINE}-TOTAL_FORMS": "0",
        f"{INLINE}-INITIAL_FORMS": "0",
        f"{INLINE}-MIN_NUM_FORMS": "0",
        f"{INLINE}-MAX_NUM_FORMS": "1000",
    }
    data.update(overrides)
    return data


def test_changelist_search_and_filter(admin_client: Client, gateway: ApiGateway) -> None:
    ApiGateway.objects.create(
        api_name="Deployed", target_base_endpoint="https://x.example/ws/", api_created=True
    )
    response = admin_client.get(url("changelist"))
    assert response.status_code == 200
    content = response.content.decode()
    assert f"{gateway.api_endpoint}/production" in content  # the client URL column

    names = {
        g.api_name
        for g in admin_client.get(url("changelist") + "?q=testapi").context["cl"].result_list
    }
    assert names == {"Test API"}
    response = admin_client.get(url("changelist") + "?api_created__exact=1")
    assert [g.api_name for g in response.context["cl"].result_list] == ["Deployed"]


def test_add_gateway_with_a_route(admin_client: Client, db: None) -> None:
    data = form_data(
        **{
            f"{INLINE}-TOTAL_FORMS": "1",
            f"{INLINE}-0-name": "Chat",
            f"{INLINE}-0-route_key": "chat",
            f"{INLINE}-0-integration_url": "https://app.example.com/chat/",
        }
    )
    response = admin_client.post(url("add"), data)

    assert response.status_code == 302, response.context["adminform"].form.errors
    gateway = ApiGateway.objects.get(api_name="Chat")
    assert gateway.default_channel_name == "lobby"
    route = ApiGatewayAdditionalRoute.objects.get()
    assert (route.api_gateway, route.route_key) == (gateway, "chat")


def test_change_page_groups_fields_and_shows_derived_urls(
    admin_client: Client, gateway: ApiGateway
) -> None:
    response = admin_client.get(url("change", gateway.pk))

    assert response.status_code == 200
    content = response.content.decode()
    for heading in ("Routing", "Stage", "Custom domain", "Provisioned"):
        assert f">{heading}</h2>" in content
    assert gateway.management_endpoint_url in content  # Management API endpoint
    # Not yet provisioned: the endpoint can still point at a gateway made elsewhere.
    assert 'name="api_endpoint"' in content
    assert 'name="api_created"' not in content


def test_provisioned_fields_are_read_only_once_created(
    admin_client: Client, gateway: ApiGateway
) -> None:
    ApiGateway.objects.filter(pk=gateway.pk).update(api_created=True, api_mapping_id="map1")

    response = admin_client.get(url("change", gateway.pk))
    assert 'name="api_endpoint"' not in response.content.decode()

    data = form_data(
        api_name="Renamed",
        api_id="forged",
        api_endpoint="ws://evil",
        api_created="",
        api_mapping_id="",
    )
    assert admin_client.post(url("change", gateway.pk), data).status_code == 302
    endpoint = gateway.api_endpoint
    gateway.refresh_from_db()
    assert gateway.api_name == "Renamed"
    assert (gateway.api_id, gateway.api_endpoint) == ("testapi123", endpoint)
    assert (gateway.api_created, gateway.api_mapping_id) == (True, "map1")


def test_management_endpoint_problem_is_shown_not_raised(admin_client: Client, db: None) -> None:
    gateway = ApiGateway.objects.create(api_name="Bare", target_base_endpoint="https://x.example/")
    response = admin_client.get(url("change", gateway.pk))
    assert response.status_code == 200
    assert "neither api_endpoint nor api_id" in response.content.decode()


def test_edit_route_inline(admin_client: Client, gateway: ApiGateway) -> None:
    route = ApiGatewayAdditionalRoute.objects.create(
        api_gateway=gateway, name="Chat", route_key="chat", integration_url="https://a.example/"
    )
    data = form_data(
        api_name=gateway.api_name,
        api_id=gateway.api_id,
        api_endpoint=gateway.api_endpoint,
        **{
            f"{INLINE}-TOTAL_FORMS": "1",
            f"{INLINE}-INITIAL_FORMS": "1",
            f"{INLINE}-0-id": str(route.pk),
            f"{INLINE}-0-api_gateway": str(gateway.pk),
            f"{INLINE}-0-name": "Chat",
            f"{INLINE}-0-route_key": "talk",
            f"{INLINE}-0-integration_url": "https://a.example/talk/",
        },
    )
    response = admin_client.post(url("change", gateway.pk), data)
    assert response.status_code == 302
    route.refresh_from_db()
    assert (route.route_key, route.integration_url) == ("talk", "https://a.example/talk/")


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"integration_type": "lambda"}, "lambda_function_arn"),
        ({"integration_timeout_ms": "30000"}, "integration_timeout_ms"),
        ({"target_base_endpoint": "not a url"}, "target_base_endpoint"),
        ({"connect_authorization": "request"}, "authorizer_function_arn"),
        (
            {"authorizer_identity_sources": '["route.request.body.token"]'},
            "authorizer_identity_sources",
        ),
        ({"authorizer_context_keys": '["User-Id"]'}, "authorizer_context_keys"),
    ],
)
def test_invalid_gateway_is_refused(
    admin_client: Client, db: None, overrides: dict[str, str], field: str
) -> None:
    response = admin_client.post(url("add"), form_data(**overrides))

    assert response.status_code == 200
    assert field in response.context["adminform"].form.errors
    assert not ApiGateway.objects.exists()


def test_lambda_gateway_and_status_filter(admin_client: Client, gateway: ApiGateway) -> None:
    data = form_data(
        integration_type="lambda",
        lambda_function_arn="arn:aws:lambda:eu-west-1:123456789012:function:ws",
        deployment_id="forged",
    )
    assert admin_client.post(url("add"), data).status_code == 302
    created = ApiGateway.objects.get(api_name="Chat")
    assert created.integration_type == "lambda"
    assert created.deployment_id == ""

    ApiGateway.objects.filter(pk=gateway.pk).update(provisioning_status="failed")
    response = admin_client.get(url("changelist") + "?provisioning_status__exact=failed")
    assert list(response.context["cl"].result_list) == [gateway]


def test_help_text_placeholders_are_shown_not_eaten_as_html(admin_client: Client) -> None:
    shown = "wss://&lt;api_id&gt;.execute-api.&lt;region&gt;.amazonaws.com, or ws://host:port"
    added = admin_client.get(url("add")).content.decode()
    created = ApiGateway.objects.create(
        api_name="Made", target_base_endpoint="https://x.example/ws/", api_created=True
    )
    # Once created, api_endpoint is read-only: its help text comes another way.
    changed = admin_client.get(url("change", created.pk)).content.decode()

    assert shown in added
    assert shown in changed
    assert "<api_id>" not in added + changed
