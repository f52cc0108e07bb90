"""Serve WebSockets from plain Django views through AWS API Gateway."""

__version__ = "5.0.0.dev0"
