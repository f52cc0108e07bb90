"""``exportapigateway --pk N --format cloudformation|terraform [--output FILE]``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from ...provisioning import export_cloudformation, export_terraform, load_gateway
from ._provisioning_cli import add_pk_argument, command_errors

EXPORTERS = {"cloudformation": export_cloudformation, "terraform": export_terraform}


class Command(BaseCommand):
    help = (
        "Write an ApiGateway record's resources as a CloudFormation template or Terraform "
        "configuration. The gateway secret becomes a parameter/variable, never a literal."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        add_pk_argument(parser)
        parser.add_argument("--format", choices=sorted(EXPORTERS), required=True)
        parser.add_argument("--output", metavar="FILE", help="Write here instead of stdout.")

    def handle(self, *args: Any, pk: int, format: str, output: str | None, **options: Any) -> None:
        with command_errors():
            text = EXPORTERS[format](load_gateway(pk))
        if output:
            Path(output).write_text(text, encoding="utf-8")
            self.stderr.write(f"Wrote {output}")
        else:
            self.stdout.write(text, ending="")
