"""The desired state of one gateway's AWS resources, computed from its record.

Everything else (create, sync, export, IAM) works from a ``GatewayPlan``, so
the API built in AWS and the one written as code cannot drift apart.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from .. import aws, wire
from ..conf import conf
from ..models.gateway import ApiGateway, IntegrationType
from .errors import ProvisioningError
from .ownership import MANAGED_TAG_KEY, MANAGED_TAGS

HTTP_PROXY = "HTTP_PROXY"
AWS_PROXY = "AWS_PROXY"
INTEGRATION_METHOD = "POST"
# Marks the integrations this app manages (and names them by route key) so a
# re-run after a failure finds the ones it already created.
INTEGRATION_DESCRIPTION_PREFIX = "django-aws-api-gateway-websockets route "
TWO_WAY_SELECTION_EXPRESSION = "$default"
TWO_WAY_RESPONSE_KEY = "$default"
BUILTIN_ROUTES = (wire.CONNECT_ROUTE, wire.DISCONNECT_ROUTE, wire.DEFAULT_ROUTE)

CONNECTION_ID_PARAMETER = f"integration.request.header.{wire.CONNECTION_ID_HEADER}"
SECRET_PARAMETER = f"integration.request.header.{wire.GATEWAY_SECRET_HEADER}"
CONNECTION_ID_SOURCE = "context.connectionId"
# Set by the gateway alone (a client cannot add a mapped header), unlike
# X-Forwarded-For, which a client's own handshake header may precede.
SOURCE_IP_PARAMETER = f"integration.request.header.{wire.SOURCE_IP_HEADER}"
SOURCE_IP_SOURCE = "context.identity.sourceIp"


@dataclass(frozen=True)
class IntegrationSpec:
    integration_type: str
    uri: str
    timeout_ms: int
    request_parameters: Mapping[str, str] = field(default_factory=dict)
    method: str = INTEGRATION_METHOD


@dataclass(frozen=True)
class RouteSpec:
    route_key: str
    integration: IntegrationSpec
    # $default answers the client (a route response); the others are one-way.
    two_way: bool = False

    @property
    def integration_description(self) -> str:
        return f"{INTEGRATION_DESCRIPTION_PREFIX}{self.route_key}"


@dataclass(frozen=True)
class ApiSpec:
    name: str
    description: str
    route_selection_expression: str
    api_key_selection_expression: str
    tags: Mapping[str, str]


@dataclass(frozen=True)
class GatewayPlan:
    api: ApiSpec
    routes: tuple[RouteSpec, ...]
    stage_name: str
    stage_description: str
    lambda_function_arn: str | None
    gateway_secret: str | None


def lambda_invocation_uri(function_arn: str) -> str:
    """API Gateway's URI for invoking a Lambda function (same partition and region)."""
    parts = function_arn.split(":")
    if len(parts) < 7 or parts[0] != "arn" or parts[2] != "lambda":
        raise ProvisioningError(f"{function_arn!r} is not a Lambda function ARN")
    partition, region = parts[1], parts[3]
    return (
        f"arn:{partition}:apigateway:{region}:lambda:path/2015-03-31/functions/"
        f"{function_arn}/invocations"
    )


def http_integration_url(base: str, route_key: str) -> str:
    return f"{base.rstrip('/')}/{wire.integration_path(route_key)}"


def secret_parameter_value(secret: str) -> str:
    """A static request parameter is a single-quoted literal."""
    return f"'{secret}'"


def _http_parameters(secret: str | None) -> dict[str, str]:
    parameters = {
        CONNECTION_ID_PARAMETER: CONNECTION_ID_SOURCE,
        SOURCE_IP_PARAMETER: SOURCE_IP_SOURCE,
    }
    if secret:
        parameters[SECRET_PARAMETER] = secret_parameter_value(secret)
    return parameters


def _validate(gateway: ApiGateway, secret: str | None) -> None:
    timeout = gateway.integration_timeout_ms
    if not wire.INTEGRATION_TIMEOUT_MIN_MS <= timeout <= wire.INTEGRATION_TIMEOUT_MAX_MS:
        raise ProvisioningError(
            f"integration_timeout_ms must be between {wire.INTEGRATION_TIMEOUT_MIN_MS} and "
            f"{wire.INTEGRATION_TIMEOUT_MAX_MS} (API Gateway's limits), not {timeout}"
        )
    if gateway.integration_type == IntegrationType.LAMBDA:
        if not gateway.lambda_function_arn:
            raise ProvisioningError("a Lambda integration needs lambda_function_arn")
    elif not gateway.target_base_endpoint:
        raise ProvisioningError("an HTTP integration needs target_base_endpoint")
    if secret and "'" in secret:
        raise ProvisioningError(
            "the gateway secret cannot contain a single quote (API Gateway static values "
            "are single-quoted)"
        )
    if not isinstance(gateway.tags, dict):
        raise ProvisioningError("tags must be a JSON object of names to values")
    if MANAGED_TAG_KEY in gateway.tags:
        raise ProvisioningError(
            f"tag {MANAGED_TAG_KEY!r} is reserved: the app tags what it creates with it"
        )


def build_plan(gateway: ApiGateway) -> GatewayPlan:
    secret = conf.current_gateway_secret
    _validate(gateway, secret)
    timeout = gateway.integration_timeout_ms
    is_lambda = gateway.integration_type == IntegrationType.LAMBDA

    def integration(url: str) -> IntegrationSpec:
        if is_lambda:
            # Lambda gets the connection id in the event; the secret header only
            # matters to an HTTP endpoint anyone could reach.
            return IntegrationSpec(
                AWS_PROXY, lambda_invocation_uri(gateway.lambda_function_arn), timeout
            )
        return IntegrationSpec(HTTP_PROXY, url, timeout, _http_parameters(secret))

    routes = [
        RouteSpec(
            key,
            integration(http_integration_url(gateway.target_base_endpoint, key)),
            two_way=key == wire.DEFAULT_ROUTE,
        )
        for key in BUILTIN_ROUTES
    ]
    for extra in gateway.additional_routes.order_by("route_key"):
        if extra.route_key in BUILTIN_ROUTES:
            raise ProvisioningError(f"additional route {extra.route_key!r} is a built-in route")
        routes.append(RouteSpec(extra.route_key, integration(extra.integration_url)))

    return GatewayPlan(
        api=ApiSpec(
            name=gateway.api_name,
            description=gateway.api_description,
            route_selection_expression=gateway.route_selection_expression,
            api_key_selection_expression=gateway.api_key_selection_expression,
            tags={**{str(key): str(value) for key, value in gateway.tags.items()}, **MANAGED_TAGS},
        ),
        routes=tuple(routes),
        stage_name=aws.stage_or_default(gateway.stage_name),
        stage_description=gateway.stage_description,
        lambda_function_arn=gateway.lambda_function_arn if is_lambda else None,
        gateway_secret=None if is_lambda else secret,
    )
