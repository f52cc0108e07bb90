"""``{% websocket_config %}``: what the browser client needs, as a JSON script tag.

Reads ``websocket_url``, ``channel_name`` and ``websocket_token_url`` from the
context that ``AddWebSocketRouteToContextMixin`` provides; arguments override.
"""

from __future__ import annotations

from typing import Any

from django import template
from django.core.exceptions import ImproperlyConfigured
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
    if not config["url"]:
        raise ImproperlyConfigured(
            "{% websocket_config %} needs the gateway's URL: use "
            "AddWebSocketRouteToContextMixin on the view, or pass url=..."
        )
    return json_script(config, element_id)
