"""Channels: what a name may look like, and who may be in one (the project's channel rules).

Both hold for every entry point ($connect's ``?channel=``, ``subscribe``,
``change_channel``, ``resume``, presence), whatever the view or gateway.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, TypeVar

from django.core.exceptions import ImproperlyConfigured

from .conf import conf
from .exceptions import InvalidChannelName
from .models import WebSocketSession

# The characters of a channel name (also checked in presence_channel_prefix and
# by ApiGateway.default_channel_name's validator).
from .models.channel_name import CHANNEL_NAME_RE as CHANNEL_NAME_RE


def validate_channel_name(value: object) -> str:
    """Return ``value`` if it is an acceptable channel name, else raise ``InvalidChannelName``."""
    if not isinstance(value, str) or not value:
        raise InvalidChannelName(
            "Channel name must be a non-empty string.", reason="channel not a string"
        )
    # The column's width bounds any setting: a longer value would fail the INSERT.
    column = WebSocketSession._meta.get_field("channel_name").max_length or 0
    limit = min(conf.max_channel_name_length, column)
    if len(value) > limit:
        raise InvalidChannelName(
            f"Channel name longer than {limit} characters.",
            reason=f"channel name of {len(value)} characters",
        )
    if CHANNEL_NAME_RE.fullmatch(value) is None:
        raise InvalidChannelName(
            "Channel name may only contain letters, digits, '_' and '-'.",
            reason=f"channel name {value[:40]!r} has other characters",
        )
    return value


# Channel rules: who may be in a channel, declared once for the project in the
# websocket_channels.py modules of its apps (autodiscovered by apps.ready()).

# What a pattern's part may match, by converter, as in Django's path("<int:pk>").
# The default, "str", takes every character a channel name may have, "-" too:
# "staff-{room}" then covers every name that starts with "staff-", so a
# hyphenated name cannot slip past the rule. "word" stops at "-".
PART_CONVERTERS: dict[str, tuple[str, Callable[[str], Any]]] = {
    "str": (r"[A-Za-z0-9_-]+", str),
    "word": (r"[A-Za-z0-9_]+", str),
    "int": (r"[0-9]+", int),
}
RuleFunction = TypeVar("RuleFunction", bound=Callable[..., Any])
_PART_RE = re.compile(r"\{(?:(?P<converter>[^{}:]*):)?(?P<name>[^{}:]*)\}")


@dataclass(frozen=True)
class ChannelRule:
    """One ``@channel(pattern)`` rule: the function that decides for the names it matches."""

    pattern: str
    function: Callable[..., Any]
    regex: re.Pattern[str]
    converters: Mapping[str, Callable[[str], Any]]
    # The pattern without its parts' names: two rules of one shape match the same channels.
    shape: str

    @property
    def label(self) -> str:
        name = getattr(self.function, "__qualname__", repr(self.function))
        return f"{getattr(self.function, '__module__', '?')}.{name} ({self.pattern!r})"

    def match(self, channel: str) -> dict[str, Any] | None:
        """The pattern's parts in ``channel`` (converted), or None if it does not match."""
        found = self.regex.fullmatch(channel)
        if found is None:
            return None
        return {name: self.converters[name](value) for name, value in found.groupdict().items()}


@dataclass(frozen=True)
class Admission:
    """What the rules say about one user and one channel."""

    allowed: bool
    # The member's info a rule returned for a presence channel (a dict), else None.
    info: dict[str, Any] | None = None
    # The rule that decided; None when no rule matches the channel.
    rule: ChannelRule | None = None
    # For the log line of a refusal.
    reason: str = ""


class ChannelRules:
    """The project's channel rules, in the order they were declared: the first match decides."""

    def __init__(self) -> None:
        self._rules: list[ChannelRule] = []

    def __iter__(self) -> Iterator[ChannelRule]:
        return iter(list(self._rules))

    def __len__(self) -> int:
        return len(self._rules)

    def channel(self, pattern: str) -> Callable[[RuleFunction], RuleFunction]:
        """Decorator: ``function(user, **parts)`` decides who may join channels of ``pattern``."""
        parsed = _parse_pattern(pattern)

        def register(function: RuleFunction) -> RuleFunction:
            self._add(pattern, parsed, function)
            return function

        return register

    def _add(
        self,
        pattern: str,
        parsed: tuple[re.Pattern[str], dict[str, Callable[[str], Any]], str],
        function: Any,
    ) -> None:
        regex, converters, shape = parsed
        if not callable(function):
            raise ImproperlyConfigured(
                f"@channel({pattern!r}) decorates {function!r}, which is not callable."
            )
        _check_parameters(pattern, function, list(converters))
        for rule in self._rules:
            if rule.shape == shape:
                raise ImproperlyConfigured(
                    f"@channel({pattern!r}) on {_qualified(function)} repeats the pattern of "
                    f"{rule.label}: the first would always decide. Keep one rule per pattern."
                )
        self._rules.append(ChannelRule(pattern, function, regex, converters, shape))

    def find(self, channel: str) -> tuple[ChannelRule, dict[str, Any]] | None:
        """The first rule whose pattern matches ``channel``, and its parts."""
        for rule in self._rules:
            parts = rule.match(channel)
            if parts is not None:
                return rule, parts
        return None

    def check(self, user: Any, channel: str, *, require_rule: bool = False) -> Admission:
        """May ``user`` (a user, or ``AnonymousUser``) be in ``channel``?

        A channel no rule matches is allowed, unless ``require_rule``.
        """
        found = self.find(channel)
        if found is None:
            if require_rule:
                return Admission(
                    False, reason=f"no channel rule matches {channel!r} (channels_require_rule)"
                )
            return Admission(True)
        rule, parts = found
        verdict = rule.function(user, **parts)
        if isinstance(verdict, dict):
            return Admission(True, verdict, rule)
        if not isinstance(verdict, bool):
            raise TypeError(
                f"channel rule {rule.label} returned {type(verdict).__name__}; "
                "a rule returns True, False, or a dict (a presence member's info)"
            )
        if not verdict:
            reason = f"channel rule {rule.label} refused {channel!r}"
            return Admission(False, rule=rule, reason=reason)
        return Admission(True, rule=rule)

    @contextmanager
    def isolated(self) -> Iterator[ChannelRules]:
        """Within the block, rules added are dropped at its end (for tests)."""
        saved = list(self._rules)
        try:
            yield self
        finally:
            self._rules[:] = saved


# The project's rules, filled by the websocket_channels.py modules at startup.
rules = ChannelRules()
channel = rules.channel


def check_rules(user: Any, channel: str) -> Admission:
    """What the project's rules (and ``channels_require_rule``) say of ``user`` in ``channel``."""
    return rules.check(user, channel, require_rule=conf.channels_require_rule)


def _qualified(function: Any) -> str:
    return f"{getattr(function, '__module__', '?')}.{getattr(function, '__qualname__', function)}"


def _parse_pattern(
    pattern: object,
) -> tuple[re.Pattern[str], dict[str, Callable[[str], Any]], str]:
    """The regex of ``pattern``, each part's converter, and its shape (the pattern sans names)."""
    if not isinstance(pattern, str) or not pattern:
        raise ImproperlyConfigured(f"@channel() needs a non-empty string pattern, not {pattern!r}.")
    regex, shape = [], []
    converters: dict[str, Callable[[str], Any]] = {}
    position = 0
    for part in [*_PART_RE.finditer(pattern), None]:
        literal = pattern[position : part.start() if part else len(pattern)]
        if literal and CHANNEL_NAME_RE.fullmatch(literal) is None:
            raise ImproperlyConfigured(
                f"@channel({pattern!r}): {literal!r} is not part of any channel name "
                "(letters, digits, '_' and '-', and {name} or {converter:name} parts)."
            )
        if part is None:
            break
        if not literal and converters:
            raise ImproperlyConfigured(
                f"@channel({pattern!r}): two parts side by side are ambiguous; "
                "put a '-' or '_' between them."
            )
        regex.append(re.escape(literal))
        shape.append(literal)
        name, converter = part["name"], part["converter"] or "str"
        if not name.isidentifier():
            raise ImproperlyConfigured(
                f"@channel({pattern!r}): part {part[0]!r} needs a Python identifier as its name."
            )
        if name in converters:
            raise ImproperlyConfigured(f"@channel({pattern!r}) names the part {name!r} twice.")
        if converter not in PART_CONVERTERS:
            raise ImproperlyConfigured(
                f"@channel({pattern!r}): unknown converter {converter!r}; "
                f"use one of {sorted(PART_CONVERTERS)}."
            )
        expression, convert = PART_CONVERTERS[converter]
        regex.append(f"(?P<{name}>{expression})")
        shape.append("{" + converter + "}")
        converters[name] = convert
        position = part.end()
    regex.append(re.escape(pattern[position:]))
    shape.append(pattern[position:])
    return re.compile("".join(regex)), converters, "".join(shape)


def _check_parameters(pattern: str, function: Any, parts: list[str]) -> None:
    """``function(user, **parts)`` must be a valid call, whatever the channel."""
    try:
        signature = inspect.signature(function)
    except (TypeError, ValueError):  # a builtin without a signature: nothing to check
        return
    try:
        signature.bind(None, **dict.fromkeys(parts))
    except TypeError as exc:
        expected = ", ".join(["user", *parts])
        raise ImproperlyConfigured(
            f"@channel({pattern!r}) on {_qualified(function)}: the rule must accept "
            f"({expected}), one parameter per part of the pattern ({exc})."
        ) from None
