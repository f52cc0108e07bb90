"""What declaring one ``WEBSOCKETS`` key means: its kind, default, bounds and meaning.

``conf.Settings`` declares every key once with ``Setting``; the lazy accessor,
the defaults, the system checks (dagw.E002, E003) and the docs test are all
derived from those declarations. Imports nothing of the app and no Django.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Generic, Protocol, TypeVar, overload

T = TypeVar("T")


@dataclass(frozen=True)
class Kind(Generic[T]):
    """The values a key accepts, and how a value is read for the code that uses it."""

    # Types a value may have; ``None`` means the key may be set to None.
    accepted: tuple[type | None, ...]
    read: Callable[[Any], T]
    # How docs/settings.md writes the type (its "Type" column).
    shown: str

    def accepts(self, value: object) -> bool:
        if value is None:
            return None in self.accepted
        # bool is an int subclass, but True is never a sensible number of seconds.
        if isinstance(value, bool) and bool not in self.accepted:
            return False
        return any(kind is not None and isinstance(value, kind) for kind in self.accepted)

    def reading(self, read: Callable[[Any], T]) -> Kind[T]:
        """The same accepted values, read differently."""
        return Kind(self.accepted, read, self.shown)


def _tuple_or_none(value: Any) -> tuple[Any, ...] | None:
    return None if value is None else tuple(value)


def _text_or_none(value: Any) -> str | None:
    return str(value) if value else None


def _as_given(value: Any) -> Any:
    return value


INT = Kind((int,), int, "`int`")
NUMBER = Kind((int, float), float, "`int` or `float`")
TEXT = Kind((str,), str, "`str`")
FLAG = Kind((bool,), bool, "`bool`")
TEXT_OR_NONE = Kind((str, None), _text_or_none, "`str` or `None`")
TEXTS_OR_NONE = Kind((list, tuple, None), _tuple_or_none, "list of `str`, or `None`")
# Read as given: conf.gateway_secrets turns it into the tuple of accepted secrets.
TEXT_OR_TEXTS_OR_NONE = Kind((str, list, tuple, None), _as_given, "`str`, list of `str`, or `None`")


class Minimum(enum.Enum):
    """The lower bound of a number (dagw.E003 below it)."""

    ABOVE_ZERO = "greater than 0"
    # 0 is accepted because it turns the feature off.
    ZERO = "0 or more"

    def allows(self, value: float) -> bool:
        return value > 0 if self is Minimum.ABOVE_ZERO else value >= 0


ABOVE_ZERO = Minimum.ABOVE_ZERO
ZERO = Minimum.ZERO


@dataclass(frozen=True)
class Maximum:
    """The upper bound of a number, and why (dagw.E003 says both above it)."""

    limit: int
    why: str
    hint: str


class _Configured(Protocol):
    # The configured values by key: WEBSOCKETS for conf, a transport's options
    # for transport_options.Options.
    def setting_values(self) -> Mapping[str, Any]: ...


@dataclass(frozen=True)
class Setting(Generic[T]):
    """One ``WEBSOCKETS`` key (or transport option), declared as a class attribute.

    The attribute's name is the key; reading the attribute on ``conf`` gives the
    configured value (or the default) through ``kind.read``.
    """

    kind: Kind[T]
    default: Any
    # One line, in the words docs/settings.md's row for the key starts with.
    meaning: str
    minimum: Minimum | None = None
    maximum: Maximum | None = None
    name: str = field(default="", init=False)

    def __set_name__(self, owner: type, name: str) -> None:
        # The key is spelled once, as the attribute name; Python hands it over here.
        object.__setattr__(self, "name", name)

    @overload
    def __get__(self, instance: None, owner: type) -> Setting[T]: ...

    @overload
    def __get__(self, instance: _Configured, owner: type) -> T: ...

    def __get__(self, instance: _Configured | None, owner: type) -> Setting[T] | T:
        if instance is None:
            return self
        return self.kind.read(instance.setting_values().get(self.name, self.default))

    def out_of_bounds(self, value: object) -> Minimum | Maximum | None:
        """The bound a number breaks, if any (values of the wrong type break none)."""
        if not isinstance(value, int | float) or isinstance(value, bool):
            return None
        if self.minimum is not None and not self.minimum.allows(value):
            return self.minimum
        if self.maximum is not None and value > self.maximum.limit:
            return self.maximum
        return None


def declared_in(owner: type) -> tuple[Setting[Any], ...]:
    """The settings declared on a class, in declaration order."""
    return tuple(value for value in vars(owner).values() if isinstance(value, Setting))
