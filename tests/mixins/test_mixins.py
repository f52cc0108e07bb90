from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.template.response import TemplateResponse
from django.test import RequestFactory, override_settings
from django.views.generic import TemplateView

from django_aws_api_gateway_websockets.mixins import (
    AddWebSocketRouteToContextMixin,
    AppChannelWebSocketMixin,
)
from django_aws_api_gateway_websockets.models import ApiGateway, ApiGatewayAdditionalRoute

pytestmark = pytest.mark.django_db


def context_of(view_class: type[TemplateView], **initkwargs: Any) -> dict[str, Any]:
    response = view_class.as_view(template_name="unused.html", **initkwargs)(
        RequestFactory().get("/page/")
    )
    assert isinstance(response, TemplateResponse)
    assert response.context_data is not None
    return dict(response.context_data)


class Page(AddWebSocketRouteToContextMixin, TemplateView):
    pass


class AppPage(AppChannelWebSocketMixin, TemplateView):
    # As if written in the test app's views module: the app label names the channel.
    __module__ = "tests.testapp.views"


class StrayAppPage(AppChannelWebSocketMixin, TemplateView):
    pass


def make_gateway(name: str, **fields: Any) -> ApiGateway:
    return ApiGateway.objects.create(
        api_name=name, target_base_endpoint="https://app.example.com/ws/", **fields
    )


def test_first_gateway_and_its_default_channel(gateway: ApiGateway) -> None:
    make_gateway("Second", api_endpoint="ws://127.0.0.1:9999")

    context = context_of(Page)

    assert context["websocket_gateway"] == gateway
    assert context["websocket_url"] == f"{gateway.api_endpoint}/production"
    assert context["channel_name"] == "default"
    assert context["websocket_connect_url"] == f"{gateway.api_endpoint}/production?channel=default"
    assert context["api_gateway_route"] is None
    assert context["websocket_token_url"] is None
    assert context["view"].__class__ is Page  # TemplateView's own context is kept


def test_gateway_chosen_by_name_and_channel_set_on_view(gateway: ApiGateway) -> None:
    make_gateway(
        "Chat", api_endpoint="wss://abc.execute-api.eu-west-1.amazonaws.com", stage_name="dev"
    )

    context = context_of(Page, websocket_gateway_name="Chat", channel_name="room 1")

    assert context["websocket_url"] == "wss://abc.execute-api.eu-west-1.amazonaws.com/dev"
    assert context["websocket_connect_url"].endswith("/dev?channel=room+1")


def test_gateway_chosen_by_pk_uses_custom_domain(gateway: ApiGateway) -> None:
    other = make_gateway(
        "Domain", api_endpoint="wss://x", domain_name="ws.example.com", custom_domain_created=True
    )

    context = context_of(Page, websocket_gateway_pk=other.pk)

    assert context["websocket_url"] == "wss://ws.example.com"


def test_route_key_picks_route_and_its_gateway(gateway: ApiGateway) -> None:
    other = make_gateway("Other", api_endpoint="ws://127.0.0.1:9000")
    route = ApiGatewayAdditionalRoute.objects.create(
        api_gateway=other,
        name="Dashboard",
        route_key="dashboard",
        integration_url="https://app.example.com/dash/",
    )

    context = context_of(Page, websocket_route_key="dashboard", channel_name="dashboard")

    assert context["api_gateway_route"] == route
    assert context["websocket_gateway"] == other
    assert context["websocket_connect_url"] == "ws://127.0.0.1:9000/production?channel=dashboard"


def test_route_key_within_the_named_gateway(gateway: ApiGateway) -> None:
    other = make_gateway("Other", api_endpoint="ws://127.0.0.1:9000")
    for owner in (other, gateway):
        ApiGatewayAdditionalRoute.objects.create(
            api_gateway=owner, name="Dash", route_key="dash", integration_url="https://a.example/"
        )

    context = context_of(Page, websocket_route_key="dash", websocket_gateway_name="Test API")

    assert context["websocket_gateway"] == gateway


def test_missing_route_is_improperly_configured(gateway: ApiGateway) -> None:
    with pytest.raises(ImproperlyConfigured, match="no ApiGatewayAdditionalRoute"):
        context_of(Page, websocket_route_key="nope")


@override_settings(ROOT_URLCONF="tests.mixins.urls")
def test_token_url(gateway: ApiGateway) -> None:
    context = context_of(Page, websocket_token_url_name="ws-token")
    assert context["websocket_token_url"] == "/ws/token/"


def test_no_gateway_is_improperly_configured(db: None) -> None:
    with pytest.raises(
        ImproperlyConfigured, match="needs an ApiGateway record, but there is none at all"
    ):
        context_of(Page)


def test_unknown_named_gateway_is_improperly_configured(gateway: ApiGateway) -> None:
    with pytest.raises(ImproperlyConfigured, match="none matching"):
        context_of(Page, websocket_gateway_name="Missing")


def test_gateway_without_endpoint_is_improperly_configured(db: None) -> None:
    make_gateway("Not yet created")
    with pytest.raises(ImproperlyConfigured, match="has no client URL yet"):
        context_of(Page)


def test_app_channel_is_the_app_label(gateway: ApiGateway) -> None:
    context = context_of(AppPage)
    assert context["channel_name"] == "testapp"
    assert context["api_gateway_route"] is None
    assert context["websocket_connect_url"].endswith("?channel=testapp")


def test_app_channel_uses_the_app_route_when_there_is_one(gateway: ApiGateway) -> None:
    route = ApiGatewayAdditionalRoute.objects.create(
        api_gateway=gateway, name="App", route_key="testapp", integration_url="https://a.example/"
    )
    assert context_of(AppPage)["api_gateway_route"] == route


def test_app_channel_explicit_channel_and_route(gateway: ApiGateway) -> None:
    route = ApiGatewayAdditionalRoute.objects.create(
        api_gateway=gateway, name="Chat", route_key="chat", integration_url="https://a.example/"
    )
    context = context_of(AppPage, channel_name="lobby", websocket_route_key="chat")
    assert context["channel_name"] == "lobby"
    assert context["api_gateway_route"] == route
    with pytest.raises(ImproperlyConfigured):
        context_of(AppPage, websocket_route_key="missing")


def test_app_channel_override_changes_the_channel_not_the_route(gateway: ApiGateway) -> None:
    # 4.x's attribute: the channel is "news", the route is still the app's.
    route = ApiGatewayAdditionalRoute.objects.create(
        api_gateway=gateway, name="App", route_key="testapp", integration_url="https://a.example/"
    )
    context = context_of(AppPage, app_channel_override="news")
    assert context["channel_name"] == "news"
    assert context["api_gateway_route"] == route


def test_app_channel_outside_an_app(gateway: ApiGateway) -> None:
    with pytest.raises(ImproperlyConfigured, match="not defined in an installed app"):
        context_of(StrayAppPage)
    assert context_of(StrayAppPage, channel_name="lobby")["channel_name"] == "lobby"
