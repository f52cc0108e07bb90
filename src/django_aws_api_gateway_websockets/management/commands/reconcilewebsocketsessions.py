"""Ask API Gateway which connected sessions are really open; mark the rest closed."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from ... import messaging
from ...delivery import DeliveryReport
from ...models import ApiGateway, WebSocketSession


class Command(BaseCommand):
    help = (
        "Ask the Management API (GET @connections/{id}) about every connected WebSocketSession "
        "and mark those that API Gateway reports gone (410) disconnected. Sends no message. "
        "Rows that may still be in their $connect are left alone."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--gateway",
            metavar="PK_OR_API_ID",
            help="Only sessions of this ApiGateway (its pk or its api_id).",
        )
        parser.add_argument("--channel", metavar="NAME", help="Only sessions in this channel.")
        parser.add_argument(
            "--dry-run", action="store_true", help="Ask and count, but change no row."
        )

    def handle(
        self, *args: Any, gateway: str | None, channel: str | None, dry_run: bool, **options: Any
    ) -> None:
        sessions = WebSocketSession.objects.all()
        if gateway is not None:
            sessions = sessions.filter(api_gateway=find_gateway(gateway))
        if channel is not None:
            sessions = sessions.in_channel(channel)
        result = sessions.reconcile(dry_run=dry_run, progress=self.show_progress)
        self.stdout.write(summary(result))

    def show_progress(self, done: int, total: int) -> None:
        # Only long runs have more than one batch; a short one prints the summary alone.
        if total > messaging.RECONCILE_BATCH:
            self.stdout.write(f"checked {done}/{total} connections")
            self.stdout.flush()


def find_gateway(value: str) -> ApiGateway:
    gateways = ApiGateway.objects.filter(api_id=value)
    if value.isdigit():
        gateways = ApiGateway.objects.filter(pk=int(value)) | gateways
    found = list(gateways[:2])
    if len(found) != 1:
        problem = "matches several gateways" if found else "matches no ApiGateway pk or api_id"
        raise CommandError(f"--gateway {value!r} {problem}")
    return found[0]


def summary(result: DeliveryReport) -> str:
    verb = "would mark" if result.dry_run else "marked"
    line = (
        f"Checked {result.total} connected session(s): {result.alive} alive, "
        f"{result.gone} gone ({verb} disconnected), {result.pending} pending "
        f"(still connecting, left alone), {result.failed} failed."
    )
    for connection_id, reason in list(result.errors.items())[:5]:
        line += f"\n  {connection_id}: {reason}"
    return line
