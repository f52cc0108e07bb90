"""An ``ApiGateway`` record as a local gateway: the routes provisioning would create.

The config is built from the same ``GatewayPlan`` that provisioning sends to AWS
and exports as code, so the local gateway serves exactly what would be deployed.
"""

from __future__ import annotations

import secrets
import socket
import string
from urllib.parse import urlsplit

from django.utils import timezone

from ..conf import conf
from ..local_gateway import GatewayConfig
from ..local_gateway.config import IamCredentials, RequestAuthorizer
from ..models import ApiGateway
from ..models.gateway import ConnectAuthorization
from .errors import ProvisioningError
from .plan import HTTP_PROXY, build_plan

STATIC_HEADER_PREFIX = "integration.request.header."
LOCAL_API_ID_LENGTH = 10  # AWS api ids are 10 lowercase letters and digits
# Seconds to wait for a loopback connection to another local gateway.
LISTENING_CHECK_SECONDS = 1.0
# What plays a record's Lambda authorizer locally unless told otherwise.
SHIPPED_AUTHORIZER = "django_aws_api_gateway_websockets.lambda_authorizer.handler"


class LocalGatewayError(Exception):
    """The record cannot be served by the local gateway."""


def static_headers(request_parameters: dict[str, str]) -> dict[str, str]:
    """Constant header parameters (``'value'``) of an integration, unquoted."""
    headers = {}
    for name, value in request_parameters.items():
        if (
            name.startswith(STATIC_HEADER_PREFIX)
            and len(value) >= 2
            and value[0] == value[-1] == "'"
        ):
            headers[name.removeprefix(STATIC_HEADER_PREFIX)] = value[1:-1]
    return headers


def local_authorizer(gateway: ApiGateway, target: str | None) -> RequestAuthorizer | None:
    """The record's Lambda authorizer, played by ``target`` (default: the shipped one)."""
    if gateway.connect_authorization != ConnectAuthorization.REQUEST:
        return None
    return RequestAuthorizer(
        target or SHIPPED_AUTHORIZER,
        identity_sources=tuple(gateway.authorizer_identity_sources),
        context_keys=tuple(gateway.authorizer_context_keys),
    )


def local_iam(gateway: ApiGateway) -> IamCredentials | None:
    """AWS_IAM checked against the project's own key (``AWS_ACCESS_KEY_ID`` and secret)."""
    if gateway.connect_authorization != ConnectAuthorization.IAM:
        return None
    key, secret = conf.AWS_ACCESS_KEY_ID, conf.AWS_SECRET_ACCESS_KEY
    if not key or not secret:
        raise LocalGatewayError(
            f"{gateway.api_name!r} authorizes $connect with AWS_IAM: set AWS_ACCESS_KEY_ID and "
            "AWS_SECRET_ACCESS_KEY, the key services sign their connect URL with locally"
        )
    return IamCredentials({key: secret}, region=conf.AWS_GATEWAY_REGION_NAME or "us-east-1")


def config_for_gateway(
    gateway: ApiGateway, *, verbose: bool = False, authorizer: str | None = None
) -> GatewayConfig:
    """``authorizer``: a function's dotted path or a URL to play the record's Lambda authorizer."""
    try:
        plan = build_plan(gateway)
    except ProvisioningError as error:
        raise LocalGatewayError(str(error)) from error
    if any(route.integration.integration_type != HTTP_PROXY for route in plan.routes):
        raise LocalGatewayError(
            f"{gateway.api_name!r} uses Lambda integrations; the local gateway forwards to "
            "HTTP endpoints only (set its integration type to HTTP to serve it locally)"
        )
    # Every HTTP integration of a plan carries the same static headers.
    headers = static_headers(dict(plan.routes[0].integration.request_parameters))
    return GatewayConfig(
        routes={route.route_key: route.integration.uri for route in plan.routes},
        route_selection_expression=plan.api.route_selection_expression,
        api_id=gateway.api_id,
        stage=plan.stage_name,
        static_headers=headers,
        two_way_routes=frozenset(route.route_key for route in plan.routes if route.two_way),
        verbose=verbose,
        authorizer=local_authorizer(gateway, authorizer),
        iam=local_iam(gateway),
    )


def new_local_api_id() -> str:
    alphabet = string.ascii_lowercase + string.digits
    return "".join(secrets.choice(alphabet) for _ in range(LOCAL_API_ID_LENGTH))


def attach_local_endpoint(gateway: ApiGateway, host: str, port: int) -> str:
    """Point the record at the local gateway so that ``send_message`` reaches it.

    Returns the endpoint the record had before (``""`` if none).
    """
    if gateway.api_created:
        raise LocalGatewayError(
            f"{gateway.api_name!r} is deployed in AWS (api_created); serving it locally would "
            "redirect its messages. Create a separate record for local development."
        )
    reachable_host = "127.0.0.1" if host in ("0.0.0.0", "") else host
    if ":" in reachable_host:  # IPv6 literal
        reachable_host = f"[{reachable_host}]"
    previous = gateway.api_endpoint
    gateway.api_endpoint = f"ws://{reachable_host}:{port}"
    if not gateway.api_id:
        gateway.api_id = new_local_api_id()
    gateway.save(update_fields=["api_endpoint", "api_id", "updated_on"])
    return previous


def is_listening(endpoint: str) -> bool:
    """Whether something accepts connections at a ``ws://HOST:PORT`` endpoint."""
    parts = urlsplit(endpoint)
    if parts.scheme != "ws" or not parts.hostname or parts.port is None:
        return False
    try:
        socket.create_connection((parts.hostname, parts.port), LISTENING_CHECK_SECONDS).close()
    except OSError:
        return False
    return True


def restore_local_endpoint(gateway: ApiGateway, ours: str, previous: str) -> bool:
    """At exit, point the record back at the gateway it pointed at before, if that
    one still runs: the connections open through it are reached again.

    Only if the record still points here (a third gateway may have taken it
    since). Returns whether the record was changed.
    """
    if not previous or previous == ours or not is_listening(previous):
        return False
    changed = ApiGateway.objects.filter(pk=gateway.pk, api_endpoint=ours).update(
        api_endpoint=previous, updated_on=timezone.now()
    )
    return changed > 0


def choose_gateway(pk: int | None) -> ApiGateway:
    if pk is not None:
        gateway = ApiGateway.objects.filter(pk=pk).first()
        if gateway is None:
            raise LocalGatewayError(f"no ApiGateway with pk={pk}")
        return gateway
    gateways = list(ApiGateway.objects.order_by("pk")[:2])
    if not gateways:
        raise LocalGatewayError(
            "no ApiGateway record: create one (admin, or ApiGateway.objects.create("
            "api_name=..., target_base_endpoint='http://127.0.0.1:8000/ws/'))"
        )
    if len(gateways) > 1:
        names = ", ".join(f"{g.pk}: {g.api_name}" for g in ApiGateway.objects.order_by("pk"))
        raise LocalGatewayError(f"several ApiGateway records ({names}): choose one with --api PK")
    return gateways[0]
