"""``createApiGateway --pk=N``: create the record's WebSocket API (name from the published docs)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from ...provisioning import create_gateway, load_gateway
from ._provisioning_cli import add_adopt_argument, add_pk_argument, command_errors, summary


class Command(BaseCommand):
    help = (
        "Create the API Gateway WebSocket API of an ApiGateway record: routes, integrations, "
        "stage and deployment. Safe to re-run; a re-run finishes a failed one."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        add_pk_argument(parser)
        add_adopt_argument(parser)

    def handle(self, *args: Any, pk: int, adopt: bool, **options: Any) -> None:
        with command_errors():
            gateway = load_gateway(pk)
            changes = create_gateway(gateway, adopt=adopt, progress=self.stdout.write)
        self.stdout.write(self.style.SUCCESS(summary(changes)))
        self.stdout.write(f"Clients connect to {gateway.client_url}")
