"""``apigatewaypolicy --pk N``: the least-privilege IAM policy for a record, as JSON."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from ...provisioning import load_gateway, policy_document
from ...provisioning.iam import SCOPES
from ._provisioning_cli import add_pk_argument, command_errors


class Command(BaseCommand):
    help = (
        "Print the IAM policy document that provisioning ('provisioning'), sending to "
        "connections ('sending'), or both ('all') need for one ApiGateway record."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        add_pk_argument(parser)
        parser.add_argument("--scope", choices=SCOPES, default="all")
        parser.add_argument(
            "--account-id", help="AWS account id (default: asked of STS with your credentials)."
        )
        parser.add_argument("--region", help="AWS region (default: AWS_GATEWAY_REGION_NAME).")

    def handle(
        self,
        *args: Any,
        pk: int,
        scope: str,
        account_id: str | None,
        region: str | None,
        **options: Any,
    ) -> None:
        with command_errors():
            document = policy_document(
                load_gateway(pk), account_id=account_id, region=region, scope=scope
            )
        self.stdout.write(json.dumps(document, indent=2))
