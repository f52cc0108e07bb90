"""The options each transport declares, and how ``WEBSOCKETS["transport"]`` gives them.

``WEBSOCKETS["transport"]`` is a dotted path, or a dict naming the transport
and its options::

    WEBSOCKETS = {
        "transport": {
            "BACKEND": "django_aws_api_gateway_websockets.aiohttp_transport.AiohttpTransport",
            "OPTIONS": {"max_in_flight": 128},
        },
    }

A transport class declares its options as an ``Options`` subclass in its
``options`` attribute (the ``Setting`` shape of ``conf.Settings``: kind,
default, meaning, bounds), and reads them with ``conf.transport_options(TheirOptions)`` when
it sends, so ``override_settings`` works. Before ``OPTIONS`` existed, the
built-in transports' options were flat ``WEBSOCKETS`` keys (``send_max_in_flight``
and so on); those keys still work. Precedence, for each option: the value in
``OPTIONS``, else the flat key, else the default.

Imports nothing of the app but the settings schema, so conf can import it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, ClassVar, TypeVar

from django.utils.module_loading import import_string

from .settings_schema import ABOVE_ZERO, INT, NUMBER, ZERO, Kind, Setting, declared_in

T = TypeVar("T")
OptionsT = TypeVar("OptionsT", bound="Options")

DEFAULT_BACKEND = "django_aws_api_gateway_websockets.aiohttp_transport.AiohttpTransport"
BACKEND, OPTIONS = "BACKEND", "OPTIONS"


@dataclass(frozen=True)
class Option(Setting[T]):
    """One option of a transport, and the flat ``WEBSOCKETS`` key it had before ``OPTIONS``."""

    flat: str = field(default="", kw_only=True)


def flat_setting(option: Setting[T], meaning: str) -> Setting[T]:
    """An option's flat key, for conf.Settings: the same kind, default and bounds."""
    return Setting(option.kind, option.default, meaning, option.minimum, option.maximum)


class Options:
    """A transport's options, as configured: read them as attributes of ``current()``."""

    # The transport's name in messages and docs.
    transport: ClassVar[str] = ""

    def __init__(self, given: Mapping[str, Any], flat: Mapping[str, Any]) -> None:
        values = {
            option.name: flat[option.flat]
            for option in self.declared()
            if option.flat and option.flat in flat
        }
        values.update(given)
        self._values = values

    def setting_values(self) -> Mapping[str, Any]:
        return self._values

    @classmethod
    def declared(cls) -> tuple[Option[Any], ...]:
        found: dict[str, Option[Any]] = {}
        for klass in reversed(cls.__mro__):
            for setting in declared_in(klass):
                if isinstance(setting, Option):
                    found[setting.name] = setting
        return tuple(found.values())

    @classmethod
    def from_websockets(cls: type[OptionsT], websockets: Mapping[str, Any]) -> OptionsT:
        """The options ``websockets`` gives: ``OPTIONS`` if they are for this transport.

        Transports read them through ``conf.transport_options(TheirOptions)``.
        """
        backend, given = configured_transport(websockets)
        mine = given if options_of(backend) is cls else {}
        return cls(mine, websockets)


class ManagementApiOptions(Options):
    """What every built-in transport reads: timeouts and attempts of each request."""

    connect_timeout_seconds = Option(
        NUMBER,
        2.0,
        "Connect timeout of each Management API request.",
        minimum=ABOVE_ZERO,
        flat="send_connect_timeout_seconds",
    )
    read_timeout_seconds = Option(
        NUMBER,
        5.0,
        "Read timeout of each Management API request",
        minimum=ABOVE_ZERO,
        flat="send_read_timeout_seconds",
    )
    max_attempts = Option(
        INT,
        3,
        "Attempts per request, first one included.",
        minimum=ABOVE_ZERO,
        flat="send_max_attempts",
    )


class AiohttpOptions(ManagementApiOptions):
    transport = "AiohttpTransport"

    max_in_flight = Option(
        INT,
        256,
        "Most Management API requests in flight at once per process",
        minimum=ABOVE_ZERO,
        flat="send_max_in_flight",
    )
    backoff_base_seconds = Option(
        NUMBER,
        0.05,
        "The wait before retry *n* is random between 0 and `backoff_base_seconds * 2**(n-1)`",
        minimum=ZERO,
        flat="send_backoff_base_seconds",
    )
    backoff_max_seconds = Option(
        NUMBER,
        2.0,
        "The longest wait before one retry.",
        minimum=ZERO,
        flat="send_backoff_max_seconds",
    )
    throttle_timeout_seconds = Option(
        NUMBER,
        120.0,
        "How long a request answered 429 (throttled) keeps being retried, counted from its "
        "first 429",
        minimum=ZERO,
        flat="send_throttle_timeout_seconds",
    )
    rate_initial_per_second = Option(
        NUMBER,
        10_000.0,
        "The request rate each process starts from, per AWS account and region",
        minimum=ABOVE_ZERO,
        flat="send_rate_initial_per_second",
    )


class BotoOptions(ManagementApiOptions):
    transport = "BotoTransport"

    concurrency = Option(
        INT,
        16,
        "Most Management API requests in flight at once for one multicast",
        minimum=ABOVE_ZERO,
        flat="send_concurrency",
    )


# The built-in transports' options, in the order docs/settings.md shows them.
BUILT_IN: tuple[type[Options], ...] = (AiohttpOptions, BotoOptions)

# A dotted path, or {"BACKEND": path, "OPTIONS": {...}}.
TRANSPORT = Kind((str, Mapping), lambda value: value, "`str` or `dict`")


def configured_transport(websockets: Mapping[str, Any]) -> tuple[str, Mapping[str, Any]]:
    """The configured transport's dotted path and its ``OPTIONS`` (empty when none)."""
    value = websockets.get("transport", DEFAULT_BACKEND)
    if isinstance(value, Mapping):
        options = value.get(OPTIONS)
        backend = value.get(BACKEND, DEFAULT_BACKEND)
        return str(backend or ""), options if isinstance(options, Mapping) else {}
    return str(value or ""), {}


@lru_cache(maxsize=32)
def options_of(path: str) -> type[Options] | None:
    """The ``Options`` class the transport at ``path`` declares, if it imports and has one."""
    try:
        factory = import_string(path)
    except ImportError:
        return None
    declared = getattr(factory, "options", None)
    return declared if isinstance(declared, type) and issubclass(declared, Options) else None


def flat_keys() -> dict[str, list[type[Options]]]:
    """Each flat ``send_*`` key and the built-in options classes that read it."""
    keys: dict[str, list[type[Options]]] = {}
    for options in BUILT_IN:
        for option in options.declared():
            keys.setdefault(option.flat, []).append(options)
    return keys
