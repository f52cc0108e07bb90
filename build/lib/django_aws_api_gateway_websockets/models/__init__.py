from .gateway import ApiGateway, ApiGatewayAdditionalRoute
from .rate_limit import ConnectionRateLimit
from .session import WebSocketSession, WebSocketSessionQuerySet
from .token import WebSocketToken

__all__ = [
    "ApiGateway",
    "ApiGatewayAdditionalRoute",
    "ConnectionRateLimit",
    "WebSocketSession",
    "WebSocketSessionQuerySet",
    "WebSocketToken",
]
