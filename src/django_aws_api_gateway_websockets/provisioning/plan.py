"""The desired state of one gateway's AWS resources, computed from its record.

Everything else (create, sync, export, IAM) works from a ``GatewayPlan``, so
the API built in AWS and the one written as code cannot drift apart.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from .. import aws, wire
from ..conf import conf
from ..models.gateway import ApiGateway, ConnectAuthorization, IntegrationType
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
# A route's AuthorizationType (only $connect's may be other than NONE).
NO_AUTHORIZATION = "NONE"
CUSTOM_AUTHORIZATION = "CUSTOM"
IAM_AUTHORIZATION = "AWS_IAM"
REQUEST_AUTHORIZER = "REQUEST"
# The authorizer this app manages on an API: found again by this name.
AUTHORIZER_NAME = "django-aws-api-gateway-websockets"


@dataclass(frozen=True)
class IntegrationSpec:
    integration_type: str
    uri: str
    timeout_ms: int
    request_parameters: Mapping[str, str] = field(default_factory=dict)
    method: str = INTEGRATION_METHOD


@dataclass(frozen=True)
class AuthorizerSpec:
    """A Lambda REQUEST authorizer on $connect."""

    function_arn: str
    uri: str
    identity_sources: tuple[str, ...]
    name: str = AUTHORIZER_NAME
    authorizer_type: str = REQUEST_AUTHORIZER


@dataclass(frozen=True)
class RouteSpec:
    route_key: str
    integration: IntegrationSpec
    # $default answers the client (a route response); the others are one-way.
    two_way: bool = False
    # NONE, CUSTOM (the plan's authorizer) or AWS_IAM; only ever set on $connect.
    authorization_type: str = NO_AUTHORIZATION

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
    authorizer: AuthorizerSpec | None = None


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
    _validate_authorization(gateway)
    if not isinstance(gateway.tags, dict):
        raise ProvisioningError("tags must be a JSON object of names to values")
    if MANAGED_TAG_KEY in gateway.tags:
        raise ProvisioningError(
            f"tag {MANAGED_TAG_KEY!r} is reserved: the app tags what it creates with it"
        )


def _validate_authorization(gateway: ApiGateway) -> None:
    if gateway.connect_authorization not in ConnectAuthorization.values:
        raise ProvisioningError(
            f"connect_authorization must be one of {ConnectAuthorization.values}, "
            f"not {gateway.connect_authorization!r}"
        )
    if gateway.connect_authorization != ConnectAuthorization.REQUEST:
        return
    if not gateway.authorizer_function_arn:
        raise ProvisioningError("a Lambda authorizer needs authorizer_function_arn")
    sources, keys = gateway.authorizer_identity_sources, gateway.authorizer_context_keys
    if not isinstance(sources, list) or not isinstance(keys, list):
        raise ProvisioningError("authorizer identity sources and context keys must be lists")
    try:
        for source in sources:
            wire.identity_source_value(str(source), {}, {})
        for key in keys:
            wire.authorizer_header(str(key))
    except ValueError as exc:
        raise ProvisioningError(str(exc)) from None


def _authorizer(gateway: ApiGateway) -> AuthorizerSpec | None:
    if gateway.connect_authorization != ConnectAuthorization.REQUEST:
        return None
    arn = gateway.authorizer_function_arn
    return AuthorizerSpec(
        function_arn=arn,
        uri=lambda_invocation_uri(arn),
        identity_sources=tuple(str(source) for source in gateway.authorizer_identity_sources),
    )


def _connect_authorization_type(gateway: ApiGateway) -> str:
    return {
        ConnectAuthorization.REQUEST: CUSTOM_AUTHORIZATION,
        ConnectAuthorization.IAM: IAM_AUTHORIZATION,
    }.get(ConnectAuthorization(gateway.connect_authorization), NO_AUTHORIZATION)


def _connect_context_parameters(gateway: ApiGateway) -> dict[str, str]:
    """The authorizer's context keys, mapped into $connect's request (HTTP only)."""
    if gateway.connect_authorization != ConnectAuthorization.REQUEST:
        return {}
    return wire.authorizer_request_parameters([str(key) for key in gateway.authorizer_context_keys])


def build_plan(gateway: ApiGateway) -> GatewayPlan:
    secret = conf.current_gateway_secret
    _validate(gateway, secret)
    timeout = gateway.integration_timeout_ms
    is_lambda = gateway.integration_type == IntegrationType.LAMBDA

    def integration(url: str, extra: Mapping[str, str] | None = None) -> IntegrationSpec:
        if is_lambda:
            # Lambda gets the connection id (and the authorizer's context) in
            # the event; the secret header only matters to an HTTP endpoint
            # anyone could reach.
            return IntegrationSpec(
                AWS_PROXY, lambda_invocation_uri(gateway.lambda_function_arn), timeout
            )
        parameters = {**_http_parameters(secret), **(extra or {})}
        return IntegrationSpec(HTTP_PROXY, url, timeout, parameters)

    routes = [
        RouteSpec(
            key,
            integration(
                http_integration_url(gateway.target_base_endpoint, key),
                _connect_context_parameters(gateway) if key == wire.CONNECT_ROUTE else None,
            ),
            two_way=key == wire.DEFAULT_ROUTE,
            authorization_type=(
                _connect_authorization_type(gateway)
                if key == wire.CONNECT_ROUTE
                else NO_AUTHORIZATION
            ),
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
        authorizer=_authorizer(gateway),
    )
