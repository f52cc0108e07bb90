"""``python -m django_aws_api_gateway_websockets.local_gateway``: a gateway for any backend."""

from __future__ import annotations

import argparse
import logging
from collections.abc import Mapping, Sequence
from typing import Any

from .. import wire
from .config import (
    DEFAULT_API_ID,
    DEFAULT_ROUTE_SELECTION_EXPRESSION,
    DEFAULT_TWO_WAY_ROUTES,
    GatewayConfig,
    IamCredentials,
    Limits,
    RequestAuthorizer,
)
from .server import run

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8001

_LIMIT_OPTIONS: tuple[tuple[str, str, type, str, str], ...] = (
    # flag, Limits field, type, metavar, help
    ("--max-message-bytes", "max_message_bytes", int, "N", "close with 1009 past it"),
    ("--max-frame-bytes", "max_frame_bytes", int, "N", "close with 1009 on a bigger frame"),
    ("--idle-timeout", "idle_timeout_seconds", float, "SECONDS", "without a client message"),
    ("--max-connection-duration", "max_connection_duration_seconds", float, "SECONDS", ""),
    ("--integration-timeout", "integration_timeout_seconds", float, "SECONDS", "0.05 to 29"),
    ("--new-connections-per-second", "new_connections_per_second", float, "N", "429 past it"),
    (
        "--handshake-timeout",
        "handshake_timeout_seconds",
        float,
        "SECONDS",
        "to send the handshake request",
    ),
    ("--max-pending-handshakes", "max_pending_handshakes", int, "N", "429 past it"),
    (
        "--throttle-rate",
        "throttle_rate",
        float,
        "R",
        "@connections calls per second, 429 LimitExceededException past it, as AWS's "
        "account throttle (None: off)",
    ),
    ("--throttle-burst", "throttle_burst", float, "B", "burst of --throttle-rate (None: R)"),
)


def add_limit_arguments(parser: argparse.ArgumentParser) -> None:
    """One option per ``Limits`` field; unset options keep the field's default."""
    limits = parser.add_argument_group("limits (AWS quotas by default)")
    for flag, field_name, kind, metavar, help_text in _LIMIT_OPTIONS:
        default = getattr(Limits(), field_name)
        limits.add_argument(
            flag,
            dest=field_name,
            type=kind,
            metavar=metavar,
            help=f"{help_text} (default {default})".lstrip(),
        )


def limits_from_options(options: Mapping[str, Any]) -> Limits:
    """The ``Limits`` the options of ``add_limit_arguments`` ask for; ValueError if invalid."""
    return Limits(
        **{
            name: options[name]
            for _, name, _, _, _ in _LIMIT_OPTIONS
            if options.get(name) is not None
        }
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m django_aws_api_gateway_websockets.local_gateway",
        description=(
            "A local API Gateway WebSocket API: WebSocket clients in, HTTP POSTs to your "
            "backend out, and the @connections Management API on the same port."
        ),
    )
    parser.add_argument(
        "--target",
        metavar="URL",
        help="base URL of the integrations: $connect -> URLconnect, $disconnect -> "
        "URLdisconnect, $default -> URLdefault (e.g. http://127.0.0.1:8000/ws/)",
    )
    parser.add_argument("--host", default=DEFAULT_HOST, help=f"default {DEFAULT_HOST}")
    parser.add_argument("--port", type=int, default=DEFAULT_PORT, help=f"default {DEFAULT_PORT}")
    parser.add_argument("--api-id", default=DEFAULT_API_ID, help=f"default {DEFAULT_API_ID}")
    parser.add_argument(
        "--stage", default=wire.DEFAULT_STAGE_NAME, help=f"default {wire.DEFAULT_STAGE_NAME}"
    )
    parser.add_argument(
        "--route",
        action="append",
        default=[],
        metavar="KEY=URL",
        help="a route and its integration URL; repeatable; overrides --target's",
    )
    parser.add_argument(
        "--route-selection-expression",
        metavar="EXPRESSION",
        default=DEFAULT_ROUTE_SELECTION_EXPRESSION,
        help=f"default {DEFAULT_ROUTE_SELECTION_EXPRESSION}",
    )
    parser.add_argument(
        "--two-way-route",
        action="append",
        metavar="KEY",
        help="a route whose integration response goes back to the client; repeatable "
        f"(default: {', '.join(sorted(DEFAULT_TWO_WAY_ROUTES))})",
    )
    parser.add_argument(
        "--header",
        action="append",
        default=[],
        metavar="'NAME: VALUE'",
        help="a constant header on every integration request, e.g. "
        f"'{wire.GATEWAY_SECRET_HEADER}: s3cret'; repeatable",
    )
    parser.add_argument(
        "--disconnect-drop-rate",
        type=float,
        default=0.0,
        metavar="FRACTION",
        help="fraction of $disconnect calls to skip, 0 to 1 (default 0)",
    )
    parser.add_argument(
        "--verbose", "-v", action="store_true", help="log message and response bodies too"
    )
    auth = parser.add_argument_group("$connect authorization (docs/authentication.md)")
    auth.add_argument(
        "--authorizer",
        metavar="PATH_OR_URL",
        help="a Lambda REQUEST authorizer: a function's dotted path, or a URL the event is "
        "POSTed to",
    )
    auth.add_argument(
        "--identity-source",
        action="append",
        default=[],
        metavar="SOURCE",
        help="e.g. route.request.querystring.access_token; repeatable",
    )
    auth.add_argument(
        "--authorizer-context-key",
        action="append",
        default=[],
        metavar="KEY",
        help="a key of the authorizer's context passed to $connect; repeatable",
    )
    auth.add_argument(
        "--iam-key",
        action="append",
        default=[],
        metavar="ACCESS_KEY_ID:SECRET",
        help="AWS_IAM: accept connect URLs presigned (SigV4) with this key; repeatable",
    )
    auth.add_argument("--iam-region", default="us-east-1", help="AWS_IAM: the signing region")
    add_limit_arguments(parser)
    return parser


def _authorization(args: argparse.Namespace) -> dict[str, Any]:
    options: dict[str, Any] = {}
    if args.authorizer:
        options["authorizer"] = RequestAuthorizer(
            args.authorizer,
            identity_sources=tuple(args.identity_source),
            context_keys=tuple(args.authorizer_context_key),
        )
    if args.iam_key:
        keys = dict(item.partition(":")[::2] for item in args.iam_key)
        if not all(keys) or not all(keys.values()):
            raise ValueError("--iam-key needs ACCESS_KEY_ID:SECRET")
        options["iam"] = IamCredentials(keys, region=args.iam_region)
    return options


def config_from_args(args: argparse.Namespace) -> GatewayConfig:
    """Raises ValueError on an inconsistent combination."""
    routes: dict[str, str] = {}
    if args.target:
        routes.update(GatewayConfig.for_target(args.target).routes)
    for item in args.route:
        key, sep, url = item.partition("=")
        if not sep or not key or not url:
            raise ValueError(f"--route needs KEY=URL, got {item!r}")
        routes[key] = url
    if not routes:
        raise ValueError("give --target, or at least one --route")
    headers: dict[str, str] = {}
    for item in args.header:
        name, sep, value = item.partition(":")
        if not sep or not name.strip():
            raise ValueError(f"--header needs 'NAME: VALUE', got {item!r}")
        headers[name.strip()] = value.strip()
    return GatewayConfig(
        routes=routes,
        route_selection_expression=args.route_selection_expression,
        api_id=args.api_id,
        stage=args.stage,
        static_headers=headers,
        two_way_routes=(
            frozenset(args.two_way_route) if args.two_way_route else DEFAULT_TWO_WAY_ROUTES
        ),
        limits=limits_from_options(vars(args)),
        disconnect_drop_rate=args.disconnect_drop_rate,
        verbose=args.verbose,
        **_authorization(args),
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        config = config_from_args(args)
    except ValueError as exc:
        parser.error(str(exc))
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    run(config, args.host, args.port)
    return 0
