"""Saving a created gateway in the admin changes AWS to match (issue 4, "Sync")."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from django_aws_api_gateway_websockets.models import ApiGateway, ApiGatewayAdditionalRoute
from tests.provisioning.harness import StandIns
from tests.provisioning.helpers import integration_for, routes

from .conftest import change_form, shown_messages, url

pytestmark = pytest.mark.django_db


@pytest.fixture
def chat_route(created: ApiGateway) -> ApiGatewayAdditionalRoute:
    route = ApiGatewayAdditionalRoute.objects.create(
        api_gateway=created, name="Chat", route_key="chat", integration_url="https://c.example/1"
    )
    created.sync_gateway()
    return route


def existing(route: ApiGatewayAdditionalRoute, **changes: str) -> dict[str, str]:
    fields = {
        "id": str(route.pk),
        "name": route.name,
        "route_key": route.route_key,
        "integration_url": route.integration_url,
    }
    return {**fields, **changes}


def save(client: Client, gateway: ApiGateway, data: dict[str, str]) -> Any:
    response = client.post(url("change", gateway.pk), data, follow=True)
    assert response.status_code == 200
    assert response.redirect_chain, response.context["adminform"].form.errors
    return response


def test_editing_a_route_changes_its_integration(
    admin_client: Client,
    created: ApiGateway,
    chat_route: ApiGatewayAdditionalRoute,
    apigw: Any,
    aws_endpoint: StandIns,
) -> None:
    deployments = len(aws_endpoint.deployments)
    data = change_form(created, [existing(chat_route, integration_url="https://c.example/2")])

    response = save(admin_client, created, data)

    assert integration_for(apigw, created.api_id, "chat")["IntegrationUri"] == (
        "https://c.example/2"
    )
    assert len(aws_endpoint.deployments) == deployments + 1
    (synced, saved) = shown_messages(response)
    assert saved[0] == "success"
    assert synced == (
        "success",
        "Chat: AWS updated to match and redeployed (2 changes):"
        "<ul><li>update integration chat: uri https://c.example/1 -&gt; https://c.example/2</li>"
        "<li>create deployment production</li></ul>",
    )


def test_adding_and_deleting_routes(
    admin_client: Client, created: ApiGateway, chat_route: ApiGatewayAdditionalRoute, apigw: Any
) -> None:
    data = change_form(
        created,
        [
            existing(chat_route, DELETE="on"),
            {"name": "News", "route_key": "news", "integration_url": "https://n.example/"},
        ],
    )

    save(admin_client, created, data)

    assert sorted(routes(apigw, created.api_id)) == ["$connect", "$default", "$disconnect", "news"]
    assert integration_for(apigw, created.api_id, "news")["IntegrationUri"] == "https://n.example/"


def test_changing_a_synced_field(admin_client: Client, created: ApiGateway, apigw: Any) -> None:
    data = change_form(created, [], integration_timeout_ms="5000", api_description="New words")

    save(admin_client, created, data)

    assert integration_for(apigw, created.api_id, "$default")["TimeoutInMillis"] == 5000
    assert apigw.get_api(ApiId=created.api_id)["Description"] == "New words"


def test_a_field_aws_does_not_hold_calls_no_aws(
    admin_client: Client, created: ApiGateway, aws_endpoint: StandIns
) -> None:
    aws_endpoint.requests.clear()

    response = save(admin_client, created, change_form(created, [], default_channel_name="hall"))

    assert aws_endpoint.requests == []
    assert len(shown_messages(response)) == 1  # Django's own "changed successfully"
    created.refresh_from_db()
    assert created.default_channel_name == "hall"


def test_a_gateway_not_in_aws_is_only_saved(
    admin_client: Client, record: ApiGateway, aws_endpoint: StandIns
) -> None:
    data = change_form(
        record,
        [{"name": "News", "route_key": "news", "integration_url": "https://n.example/"}],
        api_name="Renamed",
    )

    save(admin_client, record, data)

    assert aws_endpoint.requests == []
    assert ApiGatewayAdditionalRoute.objects.get().route_key == "news"


def test_a_failed_sync_keeps_the_edit_and_says_so(
    admin_client: Client,
    created: ApiGateway,
    chat_route: ApiGatewayAdditionalRoute,
    apigw: Any,
    aws_endpoint: StandIns,
) -> None:
    aws_endpoint.fail_once("PATCH", r"/v2/apis/[^/]+/integrations/[^/]+")
    data = change_form(created, [existing(chat_route, integration_url="https://c.example/2")])

    response = save(admin_client, created, data)

    ((level, text), _saved) = shown_messages(response)
    assert level == "error"
    assert text.startswith("Chat was saved, but AWS was not updated: Sync API Gateway failed: ")
    assert text.endswith('Fix the cause and run the "Sync with AWS" action.')
    chat_route.refresh_from_db()
    assert chat_route.integration_url == "https://c.example/2"
    created.refresh_from_db()
    assert created.provisioning_status == "failed"
    assert integration_for(apigw, created.api_id, "chat")["IntegrationUri"] == (
        "https://c.example/1"
    )

    retried = admin_client.post(
        url("changelist"),
        {"action": "sync_with_aws", "_selected_action": [str(created.pk)], "post": "yes"},
        follow=True,
    )

    assert shown_messages(retried)[0][0] == "success"
    assert integration_for(apigw, created.api_id, "chat")["IntegrationUri"] == (
        "https://c.example/2"
    )


def test_adding_a_gateway_calls_no_aws(admin_client: Client, aws_endpoint: StandIns) -> None:
    data = change_form(
        ApiGateway(api_name="Fresh", target_base_endpoint="https://f.example/ws/"),
        [{"name": "News", "route_key": "news", "integration_url": "https://n.example/"}],
    )

    response = admin_client.post(url("add"), data, follow=True)

    assert response.redirect_chain
    assert ApiGateway.objects.get(api_name="Fresh").additional_routes.count() == 1
    assert aws_endpoint.requests == []
