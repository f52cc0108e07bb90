"""Create the demo users and the local ApiGateway record (idempotent)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser

from django_aws_api_gateway_websockets.models import ApiGateway, WebSocketSession
from django_aws_api_gateway_websockets.subscriptions import close_sessions

DEMO_USERS = ("alice", "bob")
DEMO_PASSWORD = "demo-password"
DEMO_GATEWAY_NAME = "demo-local"


class Command(BaseCommand):
    help = "Create the demo users and the ApiGateway record the local gateway serves."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--http-port", type=int, default=8000)
        parser.add_argument(
            "--close-connected",
            action="store_true",
            help="Mark the demo gateway's connected sessions closed. Only while no "
            "gateway runs: then every one of them is left over from an earlier run.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        User = get_user_model()
        for username in DEMO_USERS:
            user, created = User.objects.get_or_create(username=username)
            # An existing user keeps the password it has: resetting it would log
            # out every open page (their sessions' auth hash would change).
            if created:
                user.set_password(DEMO_PASSWORD)
                user.save()
        gateway, _ = ApiGateway.objects.update_or_create(
            api_name=DEMO_GATEWAY_NAME,
            defaults={
                "target_base_endpoint": f"http://127.0.0.1:{options['http_port']}/ws/",
                "default_channel_name": "lobby",
            },
        )
        call_command("createcachetable", verbosity=0)
        summary = f"users {', '.join(DEMO_USERS)} / {DEMO_PASSWORD}; gateway pk={gateway.pk}"
        if options["close_connected"]:
            closed = close_sessions(
                WebSocketSession.objects.filter(api_gateway=gateway, connected=True)
            )
            summary += f"; {closed} session(s) left connected by an earlier run closed"
        # stdout carries only the pk, for scripts/demo; the summary goes to stderr.
        self.stderr.write(summary)
        self.stdout.write(str(gateway.pk))
