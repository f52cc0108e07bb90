"""Ask API Gateway which connected sessions are really open; mark the rest closed."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from ... import log_context, messaging
from ...delivery import DeliveryReport
from ...models import ApiGateway, ReconcileRun, WebSocketSession


class Command(BaseCommand):
    help = (
        "Ask the Management API (GET @connections/{id}) about every connected WebSocketSession "
        "and mark those that API Gateway reports gone (410) disconnected. Sends no message. "
        "Rows that may still be in their $connect are left alone."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        add_gateway_argument(parser, "Only sessions of this ApiGateway (its pk or its api_id).")
        parser.add_argument("--channel", metavar="NAME", help="Only sessions in this channel.")
        parser.add_argument(
            "--dry-run", action="store_true", help="Ask and count, but change no row."
        )

    def handle(
        self, *args: Any, gateway: str | None, channel: str | None, dry_run: bool, **options: Any
    ) -> None:
        sessions = WebSocketSession.objects.all()
        found = find_gateway(gateway) if gateway is not None else None
        if found is not None:
            sessions = sessions.filter(api_gateway=found)
        if channel is not None:
            sessions = sessions.in_channel(channel)
        started_on = timezone.now()
        # Its log lines name the gateway it reconciles (docs/logging.md).
        with log_context.bound(gateway=found.api_id if found is not None else None):
            result = sessions.reconcile(dry_run=dry_run, progress=self.show_progress)
        if not dry_run:
            # For the overview (admin and websocketstats): when it ran, what it found.
            ReconcileRun.record(
                result,
                gateway_pk=found.pk if found is not None else None,
                channel=channel,
                started_on=started_on,
                finished_on=timezone.now(),
            )
        self.stdout.write(summary(result))

    def show_progress(self, done: int, total: int) -> None:
        # Only long runs have more than one batch; a short one prints the summary alone.
        if total > messaging.RECONCILE_BATCH:
            self.stdout.write(f"checked {done}/{total} connections")
            self.stdout.flush()


def add_gateway_argument(parser: CommandParser, help: str) -> None:
    """``--gateway PK_OR_API_ID``, for ``find_gateway``."""
    parser.add_argument("--gateway", metavar="PK_OR_API_ID", help=help)


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
