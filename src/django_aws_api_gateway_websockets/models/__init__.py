from .announcement import PresenceAnnouncement
from .gateway import ApiGateway, ApiGatewayAdditionalRoute
from .history import ChannelMessage, ChannelSequence
from .logout import LoggedOutSession
from .membership import ChannelMembership
from .rate_limit import ConnectionRateLimit
from .reconcile_run import ReconcileRun
from .session import WebSocketSession, WebSocketSessionQuerySet
from .token import WebSocketToken

__all__ = [
    "ApiGateway",
    "ApiGatewayAdditionalRoute",
    "ChannelMembership",
    "ChannelMessage",
    "ChannelSequence",
    "ConnectionRateLimit",
    "LoggedOutSession",
    "PresenceAnnouncement",
    "ReconcileRun",
    "WebSocketSession",
    "WebSocketSessionQuerySet",
    "WebSocketToken",
]
