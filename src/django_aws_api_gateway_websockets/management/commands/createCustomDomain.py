"""``createCustomDomain --pk=N``: the record's custom domain (name from the published docs)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from ...provisioning import create_custom_domain, load_gateway
from ._provisioning_cli import add_pk_argument, command_errors, summary


class Command(BaseCommand):
    help = (
        "Create the REGIONAL custom domain of a created ApiGateway record, map it to the "
        "stage, and point the Route 53 alias at it when hosted_zone_id is set."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        add_pk_argument(parser)

    def handle(self, *args: Any, pk: int, **options: Any) -> None:
        with command_errors():
            gateway = load_gateway(pk)
            changes = create_custom_domain(gateway, progress=self.stdout.write)
        self.stdout.write(self.style.SUCCESS(summary(changes)))
        self.stdout.write(f"Clients connect to {gateway.client_url}")
