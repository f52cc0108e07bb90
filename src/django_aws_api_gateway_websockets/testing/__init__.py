"""Helpers for testing your own WebSocket views without API Gateway or AWS."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .capture import Outbox, capture_messages
    from .client import Connection, WebSocketTestClient

# The helpers are imported on first use: pytest imports this package at start-up
# in every project that installed it (to load the plugin), and the helpers bring
# Django's test tools and boto3 with them.
_MODULE_OF = {
    "Connection": "client",
    "Outbox": "capture",
    "WebSocketTestClient": "client",
    "capture_messages": "capture",
}

__all__ = ["Connection", "Outbox", "WebSocketTestClient", "capture_messages"]


def __getattr__(name: str) -> Any:
    module = _MODULE_OF.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f".{module}", __name__), name)
