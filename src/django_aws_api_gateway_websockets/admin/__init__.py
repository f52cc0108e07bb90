"""Django admin for the app's models, one module per area."""

from . import gateways, history, rate_limits, reconcile_runs, sessions, tokens

__all__ = ["gateways", "history", "rate_limits", "reconcile_runs", "sessions", "tokens"]
