"""Template context a page needs to open a WebSocket through one of our gateways.

Context keys added by both mixins:

- ``websocket_gateway``: the ``ApiGateway`` record;
- ``websocket_url``: the URL browsers connect to (``ApiGateway.client_url``);
- ``channel_name``: the channel to join (the view's, else the gateway's default);
- ``websocket_connect_url``: ``websocket_url`` with ``?channel=<channel_name>``;
- ``api_gateway_route``: the ``ApiGatewayAdditionalRoute`` named by the route
  key, or None;
- ``websocket_token_url``: the token view's URL when ``websocket_token_url_name``
  is set, else None.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.apps import apps
from django.core.exceptions import ImproperlyConfigured
from django.urls import reverse

from . import wire
from .models import ApiGateway, ApiGatewayAdditionalRoute


class AddWebSocketRouteToContextMixin:
    """For ``TemplateView``-like views: put the WebSocket connection details in the context.

    The gateway is the one named by ``websocket_gateway_name`` (its ``api_name``)
    or ``websocket_gateway_pk``; else the gateway of the additional route whose
    ``route_key`` is ``websocket_route_key``; else the first gateway.
    """

    websocket_route_key: str | None = None
    channel_name: str | None = None
    websocket_gateway_name: str | None = None
    websocket_gateway_pk: int | None = None
    websocket_token_url_name: str | None = None

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context: dict[str, Any] = super().get_context_data(**kwargs)  # type: ignore[misc]
        context.update(self.get_websocket_context())
        return context

    def get_websocket_context(self) -> dict[str, Any]:
        route = self.get_api_gateway_route()
        gateway = route.api_gateway if route is not None else self.get_websocket_gateway()
        url = gateway.client_url
        if not url:
            raise ImproperlyConfigured(
                f"API Gateway {gateway.api_name!r} has no client URL yet: create it "
                "(createApiGateway) or set its api_endpoint."
            )
        channel = self.get_channel_name() or gateway.default_channel_name
        return {
            "websocket_gateway": gateway,
            "websocket_url": url,
            "channel_name": channel,
            "websocket_connect_url": f"{url}?{urlencode({wire.CHANNEL_PARAM: channel})}",
            "api_gateway_route": route,
            "websocket_token_url": self.get_websocket_token_url(),
        }

    def get_channel_name(self) -> str | None:
        return self.channel_name

    def get_websocket_route_key(self) -> str | None:
        return self.websocket_route_key

    def _gateway_filter(self) -> dict[str, Any]:
        if self.websocket_gateway_pk is not None:
            return {"pk": self.websocket_gateway_pk}
        if self.websocket_gateway_name is not None:
            return {"api_name": self.websocket_gateway_name}
        return {}

    def get_websocket_gateway(self) -> ApiGateway:
        lookup = self._gateway_filter()
        gateway = ApiGateway.objects.filter(**lookup).order_by("pk").first()
        if gateway is None:
            wanted = f"matching {lookup}" if lookup else "at all"
            raise ImproperlyConfigured(
                f"{type(self).__name__} needs an ApiGateway record, but there is none {wanted}: "
                "add one in the admin, or run runwebsocketgateway locally."
            )
        return gateway

    def find_api_gateway_route(self, route_key: str) -> ApiGatewayAdditionalRoute | None:
        lookup = {f"api_gateway__{name}": value for name, value in self._gateway_filter().items()}
        return (
            ApiGatewayAdditionalRoute.objects.select_related("api_gateway")
            .filter(route_key=route_key, **lookup)
            .order_by("pk")
            .first()
        )

    def get_api_gateway_route(self) -> ApiGatewayAdditionalRoute | None:
        route_key = self.get_websocket_route_key()
        if route_key is None:
            return None
        route = self.find_api_gateway_route(route_key)
        if route is None:
            raise ImproperlyConfigured(
                f"{type(self).__name__}.websocket_route_key is {route_key!r}, but no "
                "ApiGatewayAdditionalRoute has that route_key."
            )
        return route

    def get_websocket_token_url(self) -> str | None:
        if not self.websocket_token_url_name:
            return None
        return reverse(self.websocket_token_url_name)


class AppChannelWebSocketMixin(AddWebSocketRouteToContextMixin):
    """The view's app label is the channel, and the route key when such a route exists."""

    # 4.x's name for a channel other than the app's; the route key stays the app's.
    app_channel_override: str | None = None

    def get_app_label(self) -> str:
        app_config = apps.get_containing_app_config(type(self).__module__)
        if app_config is None:
            raise ImproperlyConfigured(
                f"{type(self).__name__} is not defined in an installed app; set channel_name."
            )
        return app_config.label

    def get_channel_name(self) -> str:
        return self.app_channel_override or self.channel_name or self.get_app_label()

    def get_api_gateway_route(self) -> ApiGatewayAdditionalRoute | None:
        # The app's own route is optional (without it the page uses the gateway's
        # $default route); a route key set explicitly must exist.
        if self.get_websocket_route_key() is not None:
            return super().get_api_gateway_route()
        app_config = apps.get_containing_app_config(type(self).__module__)
        if app_config is None:  # outside an app, with an explicit channel_name
            return None
        return self.find_api_gateway_route(app_config.label)
