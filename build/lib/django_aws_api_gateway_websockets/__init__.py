"""Serve WebSockets from plain Django views through AWS API Gateway."""

__version__ = "0.1.0.dev0"
