"""Helpers for testing your own WebSocket views without API Gateway or AWS."""

from .capture import Outbox, capture_messages
from .client import Connection, WebSocketTestClient

__all__ = ["Connection", "Outbox", "WebSocketTestClient", "capture_messages"]
