"""Create the demo users and the local ApiGateway record (idempotent)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandParser

from django_aws_api_gateway_websockets.models import ApiGateway

DEMO_USERS = ("alice", "bob")
DEMO_PASSWORD = "demo-password"
DEMO_GATEWAY_NAME = "demo-local"


class Command(BaseCommand):
    help = "Create the demo users and the ApiGateway record the local gateway serves."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--http-port", type=int, default=8000)

    def handle(self, *args: Any, **options: Any) -> None:
        User = get_user_model()
        for username in DEMO_USERS:
            user, _ = User.objects.get_or_create(username=username)
            user.set_password(DEMO_PASSWORD)
            user.save()
        gateway, _ = ApiGateway.objects.update_or_create(
            api_name=DEMO_GATEWAY_NAME,
            defaults={
                "target_base_endpoint": f"http://127.0.0.1:{options['http_port']}/ws/",
                "default_channel_name": "lobby",
            },
        )
        # stdout carries only the pk, for scripts/demo; the summary goes to stderr.
        self.stderr.write(
            f"users {', '.join(DEMO_USERS)} / {DEMO_PASSWORD}; gateway pk={gateway.pk}"
        )
        self.stdout.write(str(gateway.pk))
