"""The log fields of a gateway request (``log_context``), bound for the whole of its dispatch."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from django.http import HttpRequest

from .. import log_context, wire

# A route is a URL slug: kept whole up to this length, cut beyond it.
MAX_ROUTE_CHARS = 64

Dispatch = Callable[..., Any]


def request_fields(request: HttpRequest, route: object) -> log_context.LogFields:
    """What the request names, where it is well formed: a forged or broken header logs None.

    Read before the gateway is authenticated, so that a refusal's log line says
    which gateway the request claimed to come through.
    """
    connection_id = request.headers.get(wire.CONNECTION_ID_HEADER)
    api_id = request.headers.get(wire.API_ID_HEADER)
    return log_context.LogFields(
        connection_id=connection_id if wire.is_valid_connection_id(connection_id) else None,
        gateway=api_id if wire.is_valid_api_id(api_id) else None,
        route=str(route)[:MAX_ROUTE_CHARS] if route else None,
    )


def bind_log_fields(dispatch: Dispatch) -> Dispatch:
    """Decorate a view's ``dispatch``: everything logged while it runs carries the fields."""

    @functools.wraps(dispatch)
    def dispatch_with_fields(view: Any, request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        with log_context.bound(request_fields(request, kwargs.get("route"))):
            return dispatch(view, request, *args, **kwargs)

    return dispatch_with_fields
