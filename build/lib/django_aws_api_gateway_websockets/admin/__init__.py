"""Django admin for the app's models, one module per area."""

from . import gateways, rate_limits, sessions, tokens

__all__ = ["gateways", "rate_limits", "sessions", "tokens"]
