"""The few shapes a view's answer takes."""

from __future__ import annotations

import logging
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.http.response import HttpResponseBase

from ..exceptions import Refused
from ..wire import CONNECTION_ID_HEADER

logger = logging.getLogger("django_aws_api_gateway_websockets.views")


def json_error(message: str, status: int, headers: dict[str, str] | None = None) -> JsonResponse:
    return JsonResponse({"error": message}, status=status, headers=headers)


def method_not_allowed(request: HttpRequest) -> JsonResponse:
    """405 with one log line (ours; Django's own warning would repeat it)."""
    logger.warning("Refused %s 405: method %s", request.path, str(request.method)[:20])
    response = json_error("Method not allowed.", 405, {"Allow": "POST"})
    response._has_been_logged = True  # type: ignore[attr-defined]
    return response


def refusal_response(request: HttpRequest, refusal: Refused) -> JsonResponse:
    """Log one line for ``refusal`` and answer with its status and message."""
    connection_id = request.headers.get(CONNECTION_ID_HEADER, "-")[:128]
    logger.warning(
        "Refused %s %s (connection %s): %s",
        request.path,
        refusal.status,
        connection_id,
        refusal.reason,
    )
    response = json_error(refusal.message, refusal.status, refusal.headers)
    # Our line says why; Django's "django.request" warning for the same 4xx would
    # only repeat the path. This is the flag Django's log_response() itself sets.
    response._has_been_logged = True  # type: ignore[attr-defined]
    return response


def handler_response(result: Any) -> HttpResponseBase:
    """What a handler returned, as a response API Gateway can relay."""
    if result is None:
        return HttpResponse(status=200)
    if isinstance(result, HttpResponseBase):
        return result
    if isinstance(result, dict | list):
        return JsonResponse(result, safe=False, encoder=DjangoJSONEncoder)
    if isinstance(result, str):
        return HttpResponse(result, content_type="text/plain; charset=utf-8")
    raise TypeError(
        f"a handler must return None, a dict, a list, a str or an HttpResponse, "
        f"not {type(result).__name__}"
    )
