"""``deleteapigateway --pk N``: remove the record's API, mapping, domain and DNS alias."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from ...provisioning import delete_gateway, load_gateway
from ._provisioning_cli import add_adopt_argument, add_pk_argument, command_errors


class Command(BaseCommand):
    help = (
        "Delete the AWS resources of an ApiGateway record (API, API mapping, custom domain, "
        "Route 53 alias, Lambda permission), mark its sessions disconnected and clear its "
        "AWS fields. The record itself is kept."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        add_pk_argument(parser)
        add_adopt_argument(parser)

    def handle(self, *args: Any, pk: int, adopt: bool, **options: Any) -> None:
        with command_errors():
            changes = delete_gateway(load_gateway(pk), adopt=adopt, progress=self.stdout.write)
        self.stdout.write(self.style.SUCCESS(f"Deleted ({len(changes)} resource(s) removed)."))
