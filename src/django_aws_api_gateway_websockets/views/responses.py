"""The few shapes a view's answer takes."""

from __future__ import annotations

import logging
from typing import Any, TypeVar

from django.core.serializers.json import DjangoJSONEncoder
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.http.response import HttpResponseBase

from .. import protocol
from ..exceptions import ChannelError, Refused
from ..log_context import get_logger
from ..wire import CONNECTION_ID_HEADER

logger = get_logger("django_aws_api_gateway_websockets.views")

Response = TypeVar("Response", bound=HttpResponseBase)


def json_error(
    message: str,
    status: int,
    headers: dict[str, str] | None = None,
    *,
    refused: str | None = None,
) -> JsonResponse:
    body = protocol.error(message, refused=refused)
    return JsonResponse(body, status=status, headers=headers)


def logged_already(response: Response) -> Response:
    """Keep Django's "django.request" logger from logging ``response`` again.

    We log our own line saying why; Django's warning for the same status would
    only repeat the path (and a 500's would reach AdminEmailHandler). This is
    the flag Django's log_response() itself sets.
    """
    response._has_been_logged = True  # type: ignore[attr-defined]
    return response


class JsonMethodNotAllowed:
    """View mixin: a method other than POST gets a JSON 405 and one log line."""

    def http_method_not_allowed(
        self, request: HttpRequest, *args: Any, **kwargs: Any
    ) -> HttpResponse:
        logger.warning("Refused %s 405: method %s", request.path, str(request.method)[:20])
        return logged_already(json_error("Method not allowed.", 405, {"Allow": "POST"}))


def refusal_response(
    request: HttpRequest, refusal: Refused, message_id: str | None = None
) -> JsonResponse:
    """Log one line for ``refusal`` and answer with its status and message.

    ``message_id``: the client's id of the refused message, named in the answer.
    """
    connection_id = request.headers.get(CONNECTION_ID_HEADER, "-")[:128]
    # A 5xx is our own configuration's fault (exceptions.Misconfigured): an error.
    logger.log(
        logging.ERROR if refusal.status >= 500 else logging.WARNING,
        "Refused %s %s (connection %s): %s",
        request.path,
        refusal.status,
        connection_id,
        refusal.reason,
    )
    response = json_error(refusal.message, refusal.status, refusal.headers, refused=message_id)
    return logged_already(response)


def refusal_for(error: ChannelError) -> Refused:
    """The answer to a service's ``ChannelError``: 400 with its message, its reason logged."""
    return Refused(error.message, 400, reason=error.reason)


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
