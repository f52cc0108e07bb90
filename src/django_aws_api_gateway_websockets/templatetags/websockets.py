"""``{% websocket_config %}``: what the browser client needs, as a JSON script tag.

Reads ``websocket_url``, ``channel_name`` and ``websocket_token_url`` from the
context that ``AddWebSocketRouteToContextMixin`` provides; arguments override.
With a token URL and a ``request`` in the context, the page's CSRF token is
included for the POST that fetches a WebSocket token.
"""

from __future__ import annotations

from typing import Any

from django import template
from django.core.exceptions import ImproperlyConfigured
from django.middleware.csrf import get_token
from django.utils.html import json_script
from django.utils.safestring import SafeString

register = template.Library()

DEFAULT_ELEMENT_ID = "websocket-config"


@register.simple_tag(takes_context=True)
def websocket_config(
    context: template.Context,
    *,
    url: str | None = None,
    channel: str | None = None,
    token_url: str | None = None,
    element_id: str = DEFAULT_ELEMENT_ID,
) -> SafeString:
    config: dict[str, Any] = {
        "url": url or context.get("websocket_url"),
        "channel": channel or context.get("channel_name"),
        "tokenUrl": token_url or context.get("websocket_token_url"),
    }
    request = context.get("request")
    if config["tokenUrl"] and request is not None:
        # The token view is CSRF-protected. Handing the client the token itself
        # works with CSRF_COOKIE_HTTPONLY and CSRF_USE_SESSIONS too, and makes
        # CsrfViewMiddleware set the cookie on this response.
        config["csrfToken"] = get_token(request)
    if not config["url"]:
        raise ImproperlyConfigured(
            "{% websocket_config %} needs the gateway's URL: use "
            "AddWebSocketRouteToContextMixin on the view, or pass url=..."
        )
    return json_script(config, element_id)
