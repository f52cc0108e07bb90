"""Which method of a view a message may run."""

from __future__ import annotations

import inspect
import weakref
from collections.abc import Mapping
from typing import Any

from .channel_handlers import CHANNEL_HANDLERS

DEFAULT_HANDLER = "default"
# The browser client's keep-alive (API Gateway closes idle connections after 10
# minutes): allowed on every view, even one with an explicit ALLOWED_HANDLERS.
KEEPALIVE_HANDLER = "ping"
# Defined by WebSocketView (and its ChannelHandlers mixin) but meant to be
# reached by messages: on a view with ALLOWED_HANDLERS = None, and only when
# listed on one that sets it (ping always).
BUILTIN_HANDLERS = frozenset({DEFAULT_HANDLER, KEEPALIVE_HANDLER}) | CHANNEL_HANDLERS

_allowed: weakref.WeakKeyDictionary[type, frozenset[str]] = weakref.WeakKeyDictionary()


def reserved_names(base: type) -> frozenset[str]:
    """Everything ``base`` and its bases define: never a handler, even if listed."""
    return frozenset(dir(base)) - BUILTIN_HANDLERS


def _own_public_methods(cls: type, base: type) -> set[str]:
    names: set[str] = set()
    for klass in cls.__mro__:
        # Only the user's view classes: a mixin's helpers (say, a login mixin's
        # ``handle_no_permission``) must not become reachable from a message.
        if klass is base or not issubclass(klass, base):
            continue
        names.update(name for name, value in vars(klass).items() if inspect.isfunction(value))
    return names


def allowed_handlers(cls: type, base: type) -> frozenset[str]:
    """The handler names messages may select on ``cls``; computed once per class."""
    cached = _allowed.get(cls)
    if cached is not None:
        return cached
    listed = getattr(cls, "ALLOWED_HANDLERS", None)
    # Empty means "not set", as in 4.x, whose default was an empty set.
    names = set(listed) if listed else set(BUILTIN_HANDLERS) | _own_public_methods(cls, base)
    names.update(getattr(cls, "ADDITIONAL_ALLOWED_HANDLERS", None) or ())
    names.add(KEEPALIVE_HANDLER)
    reserved = reserved_names(base)
    allowed = frozenset(
        name
        for name in names
        if isinstance(name, str)
        and not name.startswith("_")
        and name not in reserved
        and callable(getattr(cls, name, None))
    )
    _allowed[cls] = allowed
    return allowed


def requested_handler(body: Mapping[str, Any], *keys: str) -> str | None:
    """The first string value under ``keys`` in the message body."""
    for key in keys:
        value = body.get(key)
        if isinstance(value, str) and value:
            return value
    return None


def choose_handler(cls: type, base: type, body: Mapping[str, Any], *keys: str) -> str:
    name = requested_handler(body, *keys)
    if name is not None and name in allowed_handlers(cls, base):
        return name
    return DEFAULT_HANDLER
