"""What a local gateway serves: its routes, its identity and its limits."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any
from urllib.parse import urlsplit

from .. import wire
from .routing import RouteSelector

DEFAULT_API_ID = "localgw"
DEFAULT_ROUTE_SELECTION_EXPRESSION = "$request.body.action"
# API Gateway's default account quota for new connections (raisable on AWS).
NEW_CONNECTIONS_PER_SECOND = 500
# AWS documents no handshake timeout; its front end drops clients that stall.
# 10 s is far more than a browser needs to send its upgrade request.
HANDSHAKE_TIMEOUT_SECONDS = 10.0
# Two seconds' worth of AWS's default new-connection quota.
MAX_PENDING_HANDSHAKES = 2 * NEW_CONNECTIONS_PER_SECOND
# Routes that have a route response, so the integration's answer reaches the
# client. Our provisioning creates one for $default.
DEFAULT_TWO_WAY_ROUTES = frozenset({wire.DEFAULT_ROUTE})


@dataclass(frozen=True)
class Limits:
    """API Gateway's quotas, enforced by default; tests shrink them."""

    # A message (all of its frames) larger than this closes the connection with 1009.
    max_message_bytes: int = wire.MAX_PAYLOAD_BYTES
    # A single frame larger than this is refused: the connection closes with 1009.
    max_frame_bytes: int = wire.MAX_FRAME_BYTES
    # Seconds without a message from the client before the connection is closed.
    idle_timeout_seconds: float = wire.IDLE_TIMEOUT_SECONDS
    # Seconds after which a connection is closed however busy it is.
    max_connection_duration_seconds: float = wire.MAX_CONNECTION_DURATION_SECONDS
    # Seconds an integration may take before the gateway gives up on it.
    integration_timeout_seconds: float = wire.INTEGRATION_TIMEOUT_MAX_MS / 1000
    # Handshakes accepted per second (a token bucket); beyond it: HTTP 429.
    new_connections_per_second: float = NEW_CONNECTIONS_PER_SECOND
    # Seconds a new TCP connection has to send its handshake request; then it is closed.
    handshake_timeout_seconds: float = HANDSHAKE_TIMEOUT_SECONDS
    # Connections whose handshake (request, then $connect) is unfinished; beyond
    # it, new connections get HTTP 429 at once.
    max_pending_handshakes: int = MAX_PENDING_HANDSHAKES
    # AWS's account throttle on @connections calls, as a token bucket of this
    # rate and burst; beyond it, 429 LimitExceededException. Off (None) unless
    # asked for: a laptop rehearses a throttled broadcast with it.
    throttle_rate: float | None = None
    throttle_burst: float | None = None

    def __post_init__(self) -> None:
        for name in ("throttle_rate", "throttle_burst"):
            value = getattr(self, name)
            if value is not None and value <= 0:
                raise ValueError(f"{name} must be positive")
        if self.throttle_burst is not None and self.throttle_rate is None:
            raise ValueError("throttle_burst needs throttle_rate")
        for name in (
            "max_message_bytes",
            "max_frame_bytes",
            "idle_timeout_seconds",
            "max_connection_duration_seconds",
            "new_connections_per_second",
            "handshake_timeout_seconds",
            "max_pending_handshakes",
        ):
            if getattr(self, name) <= 0:
                raise ValueError(f"{name} must be positive")
        low = wire.INTEGRATION_TIMEOUT_MIN_MS / 1000
        high = wire.INTEGRATION_TIMEOUT_MAX_MS / 1000
        if not low <= self.integration_timeout_seconds <= high:
            raise ValueError(
                f"integration_timeout_seconds must be between {low} and {high}, as on AWS"
            )


@dataclass(frozen=True)
class RequestAuthorizer:
    """A Lambda REQUEST authorizer on ``$connect``, played by a function or a URL.

    ``target``: the dotted path of a function called as a Lambda handler
    (``handler(event, context)``), or an http(s) URL the event is POSTed to as
    JSON (answer 200 with the policy, or 401). ``identity_sources``: a
    handshake missing any of them gets 401 without calling it, as on AWS.
    ``context_keys``: the context keys mapped into the ``$connect`` request.
    """

    target: str
    identity_sources: tuple[str, ...] = ()
    context_keys: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "identity_sources", tuple(self.identity_sources))
        object.__setattr__(self, "context_keys", tuple(self.context_keys))
        if not self.target:
            raise ValueError("an authorizer needs a function's dotted path or a URL")
        for source in self.identity_sources:
            wire.identity_source_value(source, {}, {})  # raises on a bad source
        for key in self.context_keys:
            wire.authorizer_header(key)  # raises on a bad key

    @property
    def is_url(self) -> bool:
        return urlsplit(self.target).scheme in ("http", "https")


@dataclass(frozen=True)
class IamCredentials:
    """``AWS_IAM`` on ``$connect``: handshakes must be SigV4-signed with one of these keys."""

    # access key id -> secret access key
    keys: Mapping[str, str]
    region: str = "us-east-1"

    def __post_init__(self) -> None:
        object.__setattr__(self, "keys", MappingProxyType(dict(self.keys)))
        if not self.keys:
            raise ValueError("AWS_IAM needs at least one access key")


@dataclass(frozen=True)
class GatewayConfig:
    """One WebSocket API with HTTP_PROXY integrations.

    ``routes`` maps route keys (``$connect``, ``$disconnect``, ``$default`` and
    custom keys) to integration URLs. Without a ``$connect`` route every
    handshake is accepted; without ``$default`` an unmatched message gets an
    error frame, as on AWS.
    """

    routes: Mapping[str, str]
    route_selection_expression: str = DEFAULT_ROUTE_SELECTION_EXPRESSION
    api_id: str = DEFAULT_API_ID
    stage: str = wire.DEFAULT_STAGE_NAME
    # Constant request parameters, e.g. {"X-Ws-Gateway-Secret": "..."}.
    static_headers: Mapping[str, str] = field(default_factory=dict)
    two_way_routes: frozenset[str] = DEFAULT_TWO_WAY_ROUTES
    limits: Limits = field(default_factory=Limits)
    # Fraction of $disconnect calls silently skipped: AWS does not guarantee them.
    disconnect_drop_rate: float = 0.0
    # Log request and message bodies too.
    verbose: bool = False
    # $connect authorization (docs/authentication.md): at most one of the two.
    authorizer: RequestAuthorizer | None = None
    iam: IamCredentials | None = None

    def __post_init__(self) -> None:
        # Frozen all the way down: a config may be shared between threads.
        object.__setattr__(self, "routes", MappingProxyType(dict(self.routes)))
        object.__setattr__(self, "static_headers", MappingProxyType(dict(self.static_headers)))
        object.__setattr__(self, "two_way_routes", frozenset(self.two_way_routes))
        for key, url in self.routes.items():
            if not key:
                raise ValueError("route keys must not be empty")
            if key.startswith("$") and key not in _SPECIAL_ROUTES:
                raise ValueError(f"unknown special route key {key!r}")
            parts = urlsplit(url)
            if parts.scheme not in ("http", "https") or not parts.netloc:
                raise ValueError(f"integration URL of {key!r} must be http(s)://..., got {url!r}")
        if not wire.is_valid_api_id(self.api_id):
            raise ValueError(f"invalid api id {self.api_id!r}")
        if not self.stage or "/" in self.stage or self.stage.startswith("@"):
            raise ValueError(f"invalid stage {self.stage!r}")
        if not 0.0 <= self.disconnect_drop_rate <= 1.0:
            raise ValueError("disconnect_drop_rate must be between 0 and 1")
        RouteSelector(self.route_selection_expression)  # raises on a bad expression
        if self.authorizer is not None and self.iam is not None:
            raise ValueError("$connect has one authorization: a REQUEST authorizer or AWS_IAM")

    @classmethod
    def for_target(
        cls, target: str, *, extra_routes: Mapping[str, str] | None = None, **options: Any
    ) -> GatewayConfig:
        """Routes as the app provisions them: ``<target>connect``, ``disconnect``, ``default``."""
        base = target if target.endswith("/") else target + "/"
        routes = {
            key: base + wire.integration_path(key)
            for key in (wire.CONNECT_ROUTE, wire.DISCONNECT_ROUTE, wire.DEFAULT_ROUTE)
        }
        routes.update(extra_routes or {})
        return cls(routes=routes, **options)

    @property
    def custom_route_keys(self) -> frozenset[str]:
        """The keys a message can select by its content (not ``$connect`` and the like)."""
        return frozenset(key for key in self.routes if not key.startswith("$"))


_SPECIAL_ROUTES = frozenset({wire.CONNECT_ROUTE, wire.DISCONNECT_ROUTE, wire.DEFAULT_ROUTE})
