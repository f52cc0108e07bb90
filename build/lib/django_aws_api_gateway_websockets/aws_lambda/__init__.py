"""Serve a ``WebSocketView`` from a Lambda function behind an AWS_PROXY integration.

Each event becomes the same request the HTTP_PROXY integration would send
(built by ``wire``) and runs through Django's usual handler and middleware, so
one view class serves both deployments. See docs/provisioning.md, "Lambda".
"""

from .events import BadEvent
from .handler import LambdaHandler, handler, make_lambda_handler

__all__ = ["BadEvent", "LambdaHandler", "handler", "make_lambda_handler"]
