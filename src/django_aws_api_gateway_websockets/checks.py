"""System checks: a bad ``WEBSOCKETS`` value fails ``manage.py check``.

Ids are stable; docs/settings.md lists them all.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

import jwt
from django.apps import AppConfig, apps
from django.conf import settings
from django.core.checks import CheckMessage, Error, Tags, Warning, register
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils.module_loading import import_string

from .conf import DEFAULTS, SETTINGS, conf

# The view matches origins with this same function, so a value it accepts works.
from .origins import normalize_origin
from .settings_schema import ZERO, Maximum, Minimum, Setting
from .transport_options import (
    BACKEND,
    BUILT_IN,
    DEFAULT_BACKEND,
    OPTIONS,
    configured_transport,
    flat_keys,
    options_of,
)

APP_LABEL = "django_aws_api_gateway_websockets"

# Shorter secrets warn on --deploy: 32 random characters is what
# django.utils.crypto.get_random_string(32) gives.
MIN_GATEWAY_SECRET_LENGTH = 32

_AWS_REGION_SETTINGS = ("AWS_GATEWAY_REGION_NAME", "AWS_REGION_NAME")
_AWS_CREDENTIAL_SETTINGS = (
    "AWS_IAM_PROFILE",
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
)


def _setting_error(key: str | tuple[str, ...], message: str, hint: str, id: str) -> Error:
    """An error about ``WEBSOCKETS[key]``; a tuple key names a nested one (transport options)."""
    path = "".join(f"[{part!r}]" for part in (key if isinstance(key, tuple) else (key,)))
    return Error(f"WEBSOCKETS{path} {message}", hint=hint, id=id)


@register()
def check_settings(
    app_configs: Sequence[AppConfig] | None = None, **kwargs: Any
) -> list[CheckMessage]:
    errors: list[CheckMessage] = []
    errors.extend(_check_aws_settings())
    value = getattr(settings, "WEBSOCKETS", {})
    if not isinstance(value, Mapping):
        errors.append(
            Error(
                f"WEBSOCKETS must be a dict, not {type(value).__name__}.",
                hint='Set WEBSOCKETS = {"gateway_secret": "..."}, or remove it to use defaults.',
                id="dagw.E001",
            )
        )
        return errors
    for key, item in value.items():
        setting = _DECLARED.get(key)
        if setting is None:
            errors.append(_unknown_key(key))
        else:
            errors.extend(_check_value(setting, item))
    errors.extend(_check_enqueue_target(value))
    errors.extend(_check_flat_transport_keys(value))
    errors.extend(_check_jwt_scope(value))
    return errors


def _check_jwt_scope(value: Mapping[str, Any]) -> Iterator[CheckMessage]:
    """A key set alone proves only who issued a token, not that it was issued for us."""
    if not value.get("jwt_jwks_url"):
        return
    missing = [key for key in ("jwt_issuer", "jwt_audience") if not value.get(key)]
    if missing:
        yield Warning(
            f"WEBSOCKETS sets jwt_jwks_url without {' and '.join(missing)}: any token the "
            "provider signs, for any of its apps, would open a connection.",
            hint="Set jwt_issuer to the provider's issuer and jwt_audience to your client id "
            "(docs/authentication.md).",
            id="dagw.W007",
        )


def _unknown_key(key: object) -> Warning:
    close = difflib.get_close_matches(str(key), list(DEFAULTS), n=1)
    hint = (
        f"Did you mean {close[0]!r}?"
        if close
        else "Remove it; docs/settings.md lists the keys WEBSOCKETS accepts."
    )
    return Warning(f"WEBSOCKETS has an unknown key {key!r}.", hint=hint, id="dagw.W001")


def _type_names(accepted: tuple[type | None, ...]) -> str:
    return " or ".join("None" if kind is None else kind.__name__ for kind in accepted)


def _check_value(
    setting: Setting[Any], value: object, where: tuple[str, ...] = ()
) -> list[CheckMessage]:
    key = where or setting.name
    if not setting.kind.accepts(value):
        return [
            _setting_error(
                key,
                f"must be {_type_names(setting.kind.accepted)}, not {type(value).__name__}.",
                f"The default is {setting.default!r}.",
                "dagw.E002",
            )
        ]
    problems = list(_check_bounds(setting, value, key))
    # Content checks are for WEBSOCKETS' own keys, not transport options.
    content_check = None if where else _CONTENT_CHECKS.get(setting.name)
    if content_check is not None:
        problems.extend(content_check(setting.name, value))
    return problems


def _check_bounds(
    setting: Setting[Any], value: object, key: str | tuple[str, ...]
) -> Iterator[CheckMessage]:
    """The minimum and maximum the setting declares (conf.Settings)."""
    bound = setting.out_of_bounds(value)
    if isinstance(bound, Minimum):
        turns_off = "; 0 turns it off" if bound is ZERO else ""
        yield _setting_error(
            key,
            f"must be {bound.value}, not {value!r}.",
            f"The default is {setting.default!r}{turns_off}.",
            "dagw.E003",
        )
    elif isinstance(bound, Maximum):
        yield _setting_error(key, f"is {value}; {bound.why}.", bound.hint, "dagw.E003")


def _check_channel_length(key: str, value: object) -> Iterator[CheckMessage]:
    column = apps.get_model(APP_LABEL, "WebSocketSession")._meta.get_field("channel_name")
    limit = int(getattr(column, "max_length", None) or DEFAULTS[key])
    if isinstance(value, int) and value > limit:
        yield _setting_error(
            key,
            f"is {value}, but WebSocketSession.channel_name holds at most {limit} characters.",
            f"Use a value between 1 and {limit}.",
            "dagw.E003",
        )


def _check_gateway_secret(key: str, value: object) -> Iterator[CheckMessage]:
    hint = "Use a long random string, or a list of them while rotating; None turns it off."
    if isinstance(value, str):
        if not value:
            yield _setting_error(key, "is an empty string.", hint, "dagw.E004")
        return
    if isinstance(value, list | tuple):
        if not value:
            yield _setting_error(key, "is an empty list.", hint, "dagw.E004")
        for index, secret in enumerate(value):
            if not isinstance(secret, str) or not secret:
                yield _setting_error(
                    key, f"item {index} is {secret!r}, not a non-empty string.", hint, "dagw.E004"
                )


def _origin_problem(origin: object) -> str | None:
    if not isinstance(origin, str):
        return f"is {type(origin).__name__}, not a string"
    if normalize_origin(origin) is None:
        return "is not an http(s)://host[:port] origin without path, query or credentials"
    return None


def _check_allowed_origins(key: str, value: object) -> Iterator[CheckMessage]:
    if not isinstance(value, list | tuple):
        return
    for origin in value:
        problem = _origin_problem(origin)
        if problem is not None:
            yield _setting_error(
                key,
                f"entry {origin!r} {problem}.",
                'Write each origin as the browser sends it, e.g. "https://app.example.com" '
                'or "http://localhost:8000".',
                "dagw.E005",
            )


def _check_importable(
    key: str | tuple[str, ...], value: object, hint: str, id: str
) -> Iterator[CheckMessage]:
    if not isinstance(value, str) or not value:
        return
    try:
        import_string(value)
    except ImportError as exc:
        yield _setting_error(key, f"{value!r} cannot be imported: {exc}", hint, id)


def _check_transport(key: str, value: object) -> Iterator[CheckMessage]:
    hint = f"Give the dotted path of a class; the default is {DEFAULT_BACKEND!r}."
    if not isinstance(value, Mapping):
        yield from _check_importable(key, value, hint, "dagw.E006")
        return
    unknown = sorted(str(name) for name in value if name not in (BACKEND, OPTIONS))
    if unknown:
        yield _setting_error(
            key,
            f"has {', '.join(map(repr, unknown))}; it takes only {BACKEND!r} and {OPTIONS!r}.",
            f'Write {{"{BACKEND}": "dotted.path", "{OPTIONS}": {{...}}}}.',
            "dagw.E014",
        )
    backend = value.get(BACKEND, DEFAULT_BACKEND)
    if not isinstance(backend, str) or not backend:
        yield _setting_error(
            (key, BACKEND), f"must be a dotted path, not {backend!r}.", hint, "dagw.E006"
        )
        return
    problems = list(_check_importable((key, BACKEND), backend, hint, "dagw.E006"))
    yield from problems
    options = value.get(OPTIONS, {})
    if problems or options is None:
        return
    if not isinstance(options, Mapping):
        yield _setting_error(
            (key, OPTIONS),
            f"must be a dict, not {type(options).__name__}.",
            "Give the transport's options by name (docs/settings.md#transport-options).",
            "dagw.E002",
        )
        return
    yield from _check_transport_options(key, backend, options)


def _check_transport_options(
    key: str, backend: str, options: Mapping[str, Any]
) -> Iterator[CheckMessage]:
    declared = options_of(backend)
    known = {option.name: option for option in declared.declared()} if declared else {}
    for name, item in options.items():
        option = known.get(name)
        where = (key, OPTIONS, str(name))
        if option is None:
            close = difflib.get_close_matches(str(name), list(known), n=1)
            yield _setting_error(
                where,
                f"is not an option of {backend}.",
                f"Did you mean {close[0]!r}?"
                if close
                else f"Its options: {sorted(known) or 'none'} (docs/settings.md).",
                "dagw.E014",
            )
        else:
            yield from _check_value(option, item, where)


def _check_flat_transport_keys(value: Mapping[str, Any]) -> Iterator[CheckMessage]:
    """A flat send_* key the configured transport does not read, or that OPTIONS overrides."""
    backend, given = configured_transport(value)
    declared = options_of(backend)
    for options in BUILT_IN:
        for option in options.declared():
            if option.flat not in value or options is not declared:
                continue
            if option.name in given:
                yield Warning(
                    f"WEBSOCKETS sets both {option.flat!r} and the transport's OPTIONS "
                    f"{option.name!r}; OPTIONS wins.",
                    hint=f"Remove {option.flat!r}.",
                    id="dagw.W010",
                )
    readers = flat_keys()
    for flat, owners in readers.items():
        if flat in value and declared not in owners:
            names = " and ".join(options.transport for options in owners)
            yield Warning(
                f"WEBSOCKETS[{flat!r}] is read only by {names}; the configured transport "
                f"{backend} ignores it.",
                hint="Remove it, or give the transport's own options in "
                f'WEBSOCKETS["transport"]["{OPTIONS}"].',
                id="dagw.W009",
            )


# What the Tasks framework assumes when TASKS, or a backend's QUEUES, is not set.
_DEFAULT_TASK_BACKENDS: Mapping[str, Mapping[str, Any]] = {"default": {}}
_DEFAULT_TASK_QUEUES = ("default",)


def _task_backends() -> Mapping[str, Any]:
    value = getattr(settings, "TASKS", None)
    # TASKS = {} is no backend at all, not the default one.
    return value if isinstance(value, Mapping) else _DEFAULT_TASK_BACKENDS


def _check_enqueue_target(value: Mapping[str, Any]) -> Iterator[CheckMessage]:
    """Background sends go to a backend in TASKS and a queue it accepts."""
    alias = value.get("enqueue_backend", DEFAULTS["enqueue_backend"])
    queue = value.get("enqueue_queue_name", DEFAULTS["enqueue_queue_name"])
    if not isinstance(alias, str) or not isinstance(queue, str):
        return  # dagw.E002 already says so
    backends = _task_backends()
    backend = backends.get(alias)
    if not isinstance(backend, Mapping):
        yield _setting_error(
            "enqueue_backend",
            f"is {alias!r}, which is not a backend in TASKS.",
            f"Name one of {sorted(backends)}.",
            "dagw.E010",
        )
        return
    queues = backend.get("QUEUES", _DEFAULT_TASK_QUEUES)
    # An empty QUEUES list lets tasks use any queue.
    if queues and queue not in queues:
        yield _setting_error(
            "enqueue_queue_name",
            f"is {queue!r}, which is not in the QUEUES of the {alias!r} task backend.",
            f"Name one of {sorted(queues)}, or add {queue!r} to that backend's QUEUES.",
            "dagw.E010",
        )


def _check_presence_prefix(key: str, value: object) -> Iterator[CheckMessage]:
    # channels imports the models, which are not ready when this module loads.
    from .channels import CHANNEL_NAME_RE

    if isinstance(value, str) and value and CHANNEL_NAME_RE.fullmatch(value) is None:
        yield _setting_error(
            key,
            f"is {value!r}, which no channel name can start with.",
            "Use letters, digits, '_' and '-' (the default is 'presence-'), or '' for none.",
            "dagw.E003",
        )


_DECLARED: Mapping[str, Setting[Any]] = {setting.name: setting for setting in SETTINGS}


# Checks of a value's content, beyond the type and bounds conf.Settings declares.
def _check_jwt_algorithms(key: str, value: object) -> Iterator[CheckMessage]:
    if not isinstance(value, list | tuple):
        return
    known = set(jwt.algorithms.get_default_algorithms())
    # A JWKS holds public keys: "none" and the shared-secret HS* family cannot
    # be verified with them, and allowing them invites forged tokens.
    wrong = [name for name in value if name not in known or name == "none" or name[:2] == "HS"]
    if wrong or not value:
        yield _setting_error(
            key,
            f"must list public-key algorithms PyJWT knows; {wrong or 'none given'} cannot be used.",
            'Use what your provider signs with, e.g. ["RS256"] (Cognito) or ["ES256"].',
            "dagw.E012",
        )


def _check_jwt_claims_hook(key: str, value: object) -> Iterator[CheckMessage]:
    hint = "Give the dotted path of a function(claims) -> user or None."
    yield from _check_importable(key, value, hint, "dagw.E013")


_CONTENT_CHECKS: dict[str, Callable[[str, object], Iterator[CheckMessage]]] = {
    "jwt_algorithms": _check_jwt_algorithms,
    "jwt_claims_to_user": _check_jwt_claims_hook,
    "max_channel_name_length": _check_channel_length,
    "gateway_secret": _check_gateway_secret,
    "allowed_origins": _check_allowed_origins,
    "transport": _check_transport,
    "presence_channel_prefix": _check_presence_prefix,
}


def _check_aws_settings() -> Iterator[CheckMessage]:
    for name in _AWS_REGION_SETTINGS:
        value = getattr(settings, name, None)
        if value is not None and not isinstance(value, str):
            yield Error(
                f"{name} must be a string, not {type(value).__name__}.",
                hint='Name an AWS region, e.g. "eu-west-1".',
                id="dagw.E007",
            )
    for name in _AWS_CREDENTIAL_SETTINGS:
        value = getattr(settings, name, None)
        if value is not None and not isinstance(value, str):
            yield Error(
                f"{name} must be a string, not {type(value).__name__}.",
                hint="Read it from the environment, e.g. os.environ.get(...).",
                id="dagw.E008",
            )
    key_id = getattr(settings, "AWS_ACCESS_KEY_ID", None)
    secret = getattr(settings, "AWS_SECRET_ACCESS_KEY", None)
    if bool(key_id) != bool(secret):
        yield Warning(
            "Only one of AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY is set, so both are ignored.",
            hint="Set both, or neither to use boto3's default credential chain.",
            id="dagw.W002",
        )


@register(Tags.security, deploy=True)
def check_deploy(
    app_configs: Sequence[AppConfig] | None = None, **kwargs: Any
) -> list[CheckMessage]:
    warnings: list[CheckMessage] = list(_check_secret_strength())
    warnings.extend(_check_allowed_handlers())
    warnings.extend(_check_channels_require_rule())
    warnings.extend(_check_presence_coalescing())
    warnings.extend(_check_channel_attributes())
    return warnings


def _check_channel_attributes() -> Iterator[CheckMessage]:
    if conf.telemetry_enabled and conf.telemetry_channel_attributes:
        yield Warning(
            'WEBSOCKETS["telemetry_channel_attributes"] is True: every channel published to '
            "becomes its own time series in your metrics backend.",
            hint="Keep it for a project with a few fixed channels; set it to False when channel "
            "names carry ids (orders.42, user-7).",
            id="dagw.W012",
        )


def _check_channels_require_rule() -> Iterator[CheckMessage]:
    if not conf.channels_require_rule:
        yield Warning(
            'WEBSOCKETS["channels_require_rule"] is False: a channel that no channel rule '
            "matches can be joined by anyone, through any view.",
            hint="Declare a @channel rule for every channel your pages use (in an app's "
            'websocket_channels.py), then set WEBSOCKETS["channels_require_rule"] = True.',
            id="dagw.W006",
        )


def _check_presence_coalescing() -> Iterator[CheckMessage]:
    """Coalescing holds presence events for a deferred task: the backend must defer."""
    if conf.presence_coalesce_seconds <= 0:
        return
    backend = _task_backends().get(conf.enqueue_backend)
    if not isinstance(backend, Mapping):
        return  # dagw.E010 says so
    try:
        supports_defer = getattr(
            import_string(str(backend.get("BACKEND"))), "supports_defer", False
        )
    except ImportError:
        return  # the Tasks framework's own check says so
    if not supports_defer:
        yield Warning(
            f"The {conf.enqueue_backend!r} Tasks backend cannot run a task later, so "
            "presence events are not coalesced: a page toggling a presence subscription "
            "makes every toggle an event to every other member.",
            hint="Use a backend that supports deferred tasks (a database or queue backend), or "
            'set WEBSOCKETS["presence_coalesce_seconds"] = 0 to silence this.',
            id="dagw.W008",
        )


def _check_secret_strength() -> Iterator[CheckMessage]:
    if not conf.gateway_secrets:
        # A secret that is set but empty or malformed is reported by dagw.E002 /
        # E004; "not set" on top of that would contradict them.
        if not _gateway_secret_given():
            yield Warning(
                'WEBSOCKETS["gateway_secret"] is not set: anyone who can reach the '
                "WebSocket view's URL can pose as API Gateway.",
                hint="Set a long random secret; provisioning adds it to every integration as "
                "the X-Ws-Gateway-Secret header.",
                id="dagw.W003",
            )
        return
    for index, secret in enumerate(conf.gateway_secrets):
        if len(secret) < MIN_GATEWAY_SECRET_LENGTH:
            yield Warning(
                f'WEBSOCKETS["gateway_secret"] (secret {index + 1}) is {len(secret)} characters '
                f"long; a guessable secret lets anyone pose as API Gateway.",
                hint=f"Use at least {MIN_GATEWAY_SECRET_LENGTH} random characters, e.g. "
                'python -c "import secrets; print(secrets.token_urlsafe(32))".',
                id="dagw.W005",
            )


def _gateway_secret_given() -> bool:
    configured = getattr(settings, "WEBSOCKETS", {})
    return isinstance(configured, Mapping) and configured.get("gateway_secret") is not None


def _check_allowed_handlers() -> Iterator[CheckMessage]:
    # Imported here: views import models, which are not ready when checks load.
    from .views import WebSocketView

    if not getattr(settings, "ROOT_URLCONF", None):
        return
    seen: set[type] = set()
    for view_class in _routed_view_classes(get_resolver().url_patterns):
        if view_class in seen or not issubclass(view_class, WebSocketView):
            continue
        seen.add(view_class)
        if not view_class.ALLOWED_HANDLERS:
            yield Warning(
                f"{view_class.__module__}.{view_class.__qualname__} does not set ALLOWED_HANDLERS, "
                "so every public method it defines can be called by a client.",
                hint="List the handlers clients may call, e.g. "
                'ALLOWED_HANDLERS = ["default", "chat"].',
                obj=view_class,
                id="dagw.W004",
            )


def _routed_view_classes(patterns: Sequence[URLPattern | URLResolver]) -> Iterator[type]:
    for view_class, _, _ in _routed_views(patterns):
        yield view_class


def _routed_views(
    patterns: Sequence[URLPattern | URLResolver],
    captured: frozenset[str] = frozenset(),
    prefix: str = "",
) -> Iterator[tuple[type, frozenset[str], str]]:
    """(view class, names its URL captures, the URL pattern) of each class-based view."""
    for pattern in patterns:
        names = captured | set(pattern.pattern.regex.groupindex)
        route = prefix + str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            yield from _routed_views(pattern.url_patterns, names, route)
            continue
        view_class = getattr(pattern.callback, "view_class", None)
        if isinstance(view_class, type):
            yield view_class, names, route


@register(Tags.urls)
def check_url_patterns(
    app_configs: Sequence[AppConfig] | None = None, **kwargs: Any
) -> list[CheckMessage]:
    """A WebSocketView's URL must capture ``route``: it says connect, disconnect or a message."""
    from .views import WebSocketView  # views import models, not ready when checks load

    if not getattr(settings, "ROOT_URLCONF", None):
        return []
    return [
        Error(
            f"The URL pattern {route!r} of {view_class.__module__}.{view_class.__qualname__} "
            "does not capture 'route', so the view cannot tell $connect and $disconnect "
            "from messages.",
            hint='Route it as path("ws/<slug:route>", MyView.as_view()).',
            obj=view_class,
            id="dagw.E009",
        )
        for view_class, names, route in _routed_views(get_resolver().url_patterns)
        if issubclass(view_class, WebSocketView) and "route" not in names
    ]


@register(Tags.database)
def check_gateway_regions(
    app_configs: Sequence[AppConfig] | None = None,
    databases: Sequence[str] | None = None,
    **kwargs: Any,
) -> list[CheckMessage]:
    """A gateway on a custom domain can be signed for only with a configured region.

    Its host does not name the region (``ws.example.com``, unlike
    ``<api>.execute-api.<region>.amazonaws.com``), and AWS refuses a signature
    for another region. Django runs database checks on ``migrate`` and
    ``check --database``.
    """
    from django.db import DatabaseError

    from . import aws
    from .models import ApiGateway

    if not databases or conf.AWS_GATEWAY_REGION_NAME:
        return []
    errors: list[CheckMessage] = []
    for alias in databases:
        try:
            gateways = list(
                ApiGateway.objects.using(alias)
                .exclude(api_endpoint__isnull=True)
                .exclude(api_endpoint="")
                .values_list("pk", "api_name", "api_endpoint")
            )
        except DatabaseError:  # not migrated yet
            continue
        errors.extend(
            Error(
                f"ApiGateway {name!r} (pk={pk}) has api_endpoint {endpoint!r}, whose host names "
                "no AWS region, and no region is configured: its Management API requests "
                "cannot be signed.",
                hint="Set AWS_GATEWAY_REGION_NAME (or AWS_REGION_NAME) to the gateway's region.",
                id="dagw.E011",
            )
            for pk, name, endpoint in gateways
            if aws.needs_region_setting(endpoint)
        )
    return errors
