from .gateway import ApiGateway, ApiGatewayAdditionalRoute
from .membership import ChannelMembership
from .rate_limit import ConnectionRateLimit
from .session import WebSocketSession, WebSocketSessionQuerySet
from .token import WebSocketToken

__all__ = [
    "ApiGateway",
    "ApiGatewayAdditionalRoute",
    "ChannelMembership",
    "ConnectionRateLimit",
    "WebSocketSession",
    "WebSocketSessionQuerySet",
    "WebSocketToken",
]
