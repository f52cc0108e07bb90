"""A local stand-in for API Gateway's WebSocket API with HTTP_PROXY integrations.

Speaks real WebSocket to clients and real HTTP to any backend, and serves the
@connections Management API. Imports nothing from Django. See
docs/local-gateway.md.
"""

from .config import GatewayConfig, Limits
from .server import GatewayThread, LocalGateway, run

__all__ = ["GatewayConfig", "GatewayThread", "Limits", "LocalGateway", "run"]
