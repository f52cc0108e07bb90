"""Route selection: which route a client's message goes to.

Supports the two forms API Gateway documents for WebSocket APIs:
``$request.body.<dotted.path>`` and templates such as
``${request.body.service}/${request.body.action}``. The selected value is turned
into a string and matched exactly against the custom route keys; anything else
(no match, a missing value, a body that is not a JSON object) selects
``$default``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Collection
from typing import Any

from .. import wire

_PLAIN_PREFIX = "$request.body."
_TEMPLATE_PART = re.compile(r"\$\{request\.body\.([^{}]+)\}")
_PATH = re.compile(r"[^.${}\s]+(\.[^.${}\s]+)*")

# A template is a sequence of literal text and body paths.
_Part = str | tuple[str, ...]


class RouteSelector:
    def __init__(self, expression: str) -> None:
        self.expression = expression
        self._parts = _parse(expression)

    def select(self, body: str | bytes, route_keys: Collection[str]) -> str:
        """The route key ``body`` selects among ``route_keys``, else ``$default``."""
        value = self.evaluate(body)
        if value is not None and value in route_keys and not value.startswith("$"):
            return value
        return wire.DEFAULT_ROUTE

    def evaluate(self, body: str | bytes) -> str | None:
        try:
            return self._evaluate(body)
        except (ValueError, RecursionError):
            # Not JSON, or nested deeper than Python's parser goes: AWS picks
            # $default for both, and the connection must survive either.
            return None

    def _evaluate(self, body: str | bytes) -> str | None:
        document = json.loads(body)
        pieces = []
        for part in self._parts:
            if isinstance(part, str):
                pieces.append(part)
                continue
            value = _lookup(document, part)
            if value is None:
                return None
            pieces.append(_as_string(value))
        return "".join(pieces)


def _parse(expression: str) -> list[_Part]:
    if expression.startswith(_PLAIN_PREFIX) and "${" not in expression:
        return [_path(expression[len(_PLAIN_PREFIX) :], expression)]
    parts: list[_Part] = []
    position = 0
    for match in _TEMPLATE_PART.finditer(expression):
        if match.start() > position:
            parts.append(expression[position : match.start()])
        parts.append(_path(match.group(1), expression))
        position = match.end()
    if position < len(expression):
        parts.append(expression[position:])
    literals = [part for part in parts if isinstance(part, str)]
    if len(literals) == len(parts) or any("$" in literal for literal in literals):
        raise ValueError(
            f"unsupported route selection expression {expression!r}: use "
            "$request.body.<path> or a template of ${request.body.<path>} parts"
        )
    return parts


def _path(text: str, expression: str) -> tuple[str, ...]:
    if not _PATH.fullmatch(text):
        raise ValueError(f"bad path {text!r} in route selection expression {expression!r}")
    return tuple(text.split("."))


def _lookup(document: Any, path: tuple[str, ...]) -> Any:
    for key in path:
        if not isinstance(document, dict) or key not in document:
            return None
        document = document[key]
    return document


def _as_string(value: Any) -> str:
    if isinstance(value, str):
        return value
    # Numbers, booleans, objects: their JSON text (true, 1.5, {"a":1}).
    return json.dumps(value, separators=(",", ":"))
