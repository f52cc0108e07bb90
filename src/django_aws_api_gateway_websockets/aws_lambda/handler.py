"""The Lambda entry point: event in, Django view, Lambda response out."""

from __future__ import annotations

import json
import threading
from typing import Any

from .. import protocol, wire
from ..conf import conf
from ..log_context import get_logger
from .events import BadEvent, read_event
from .wsgi import WSGIApp, build_environ, run

logger = get_logger("django_aws_api_gateway_websockets.aws_lambda")

LambdaResponse = dict[str, Any]


def bad_event_response(reason: str) -> LambdaResponse:
    logger.warning("Refused Lambda event: %s", reason)
    return {
        "statusCode": 400,
        "headers": {"Content-Type": "application/json"},
        "body": json.dumps(protocol.error("Bad event.")),
        "isBase64Encoded": False,
    }


def _django_application() -> WSGIApp:
    import django
    from django.apps import apps
    from django.core.handlers.wsgi import WSGIHandler

    # Set up once per cold start; doing it again would reconfigure logging.
    if not apps.ready:
        django.setup(set_prefix=False)
    return WSGIHandler()


class LambdaHandler:
    """``handler(event, context)`` for a WebSocket API's AWS_PROXY integration.

    ``path_prefix`` is the URL of the ``WebSocketView`` before its ``<slug:route>``
    (default: ``WEBSOCKETS["lambda_path_prefix"]``); ``host`` the Host header
    Django sees (default: ``WEBSOCKETS["lambda_host"]``, else the event's
    ``requestContext.domainName``). Both settings are read at each call.
    """

    def __init__(self, *, path_prefix: str | None = None, host: str | None = None) -> None:
        self.path_prefix = path_prefix
        self.host = host
        self._application: WSGIApp | None = None
        self._lock = threading.Lock()

    def __call__(self, event: Any, context: Any = None) -> LambdaResponse:
        # API Gateway only invokes the function with the permission provisioning
        # grants to this one API, so the event is as trusted as a request that
        # carried the secret: add it, and the view checks what it always checks.
        secret = conf.current_gateway_secret
        static_headers = {wire.GATEWAY_SECRET_HEADER: secret} if secret else {}
        try:
            incoming = read_event(
                event, static_headers=static_headers, host=self.host or conf.lambda_host
            )
        except BadEvent as exc:
            return bad_event_response(str(exc))
        prefix = self.path_prefix if self.path_prefix is not None else conf.lambda_path_prefix
        return run(self.application(), build_environ(incoming, prefix))

    def application(self) -> WSGIApp:
        with self._lock:
            if self._application is None:
                self._application = _django_application()
            return self._application


def make_lambda_handler(
    *, path_prefix: str | None = None, host: str | None = None
) -> LambdaHandler:
    return LambdaHandler(path_prefix=path_prefix, host=host)


# Point the function's handler setting at
# ``django_aws_api_gateway_websockets.aws_lambda.handler``.
handler = make_lambda_handler()
