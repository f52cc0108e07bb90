"""``syncapigateway --pk N [--dry-run]``: make AWS match the record again."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from ...provisioning import load_gateway, sync_gateway
from ._provisioning_cli import add_adopt_argument, add_pk_argument, command_errors, summary


class Command(BaseCommand):
    help = (
        "Show the differences between an ApiGateway record (with its additional routes and "
        "the current gateway secret) and its API in AWS, including changes made by hand, "
        "then apply them and redeploy."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        add_pk_argument(parser)
        add_adopt_argument(parser)
        parser.add_argument(
            "--dry-run", action="store_true", help="Only show the differences; change nothing."
        )

    def handle(self, *args: Any, pk: int, dry_run: bool, adopt: bool, **options: Any) -> None:
        with command_errors():
            changes = sync_gateway(
                load_gateway(pk), dry_run=dry_run, adopt=adopt, progress=self.stdout.write
            )
        self.stdout.write(self.style.SUCCESS(summary(changes, dry_run=dry_run)))
