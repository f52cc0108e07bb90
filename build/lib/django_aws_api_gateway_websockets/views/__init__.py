from .token import WebSocketTokenView
from .websocket import WebSocketView

__all__ = ["WebSocketTokenView", "WebSocketView"]
