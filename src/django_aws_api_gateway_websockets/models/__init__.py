from .gateway import ApiGateway, ApiGatewayAdditionalRoute
from .history import ChannelMessage, ChannelSequence
from .membership import ChannelMembership
from .rate_limit import ConnectionRateLimit
from .session import WebSocketSession, WebSocketSessionQuerySet
from .token import WebSocketToken

__all__ = [
    "ApiGateway",
    "ApiGatewayAdditionalRoute",
    "ChannelMessage",
    "ChannelSequence",
    "ChannelMembership",
    "ConnectionRateLimit",
    "WebSocketSession",
    "WebSocketSessionQuerySet",
    "WebSocketToken",
]
