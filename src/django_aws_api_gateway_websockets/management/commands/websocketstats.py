"""Print the overview the admin shows (``overview.compute_overview()``), as text or JSON."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from ...models import ApiGateway
from ...overview import Activity, ChannelCount, GatewayOverview, Overview, compute_overview
from .reconcilewebsocketsessions import add_gateway_argument, find_gateway

# Eight heights of a bar, lowest first; a zero is a space.
BLOCKS = "▁▂▃▄▅▆▇█"
TIME = "%Y-%m-%d %H:%M:%S %Z"


class Command(BaseCommand):
    help = (
        "Print each gateway's connections, connected users, stale rows, top and presence "
        "channels, last reconcile and the last hour's opens and closes (the admin's overview)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        add_gateway_argument(parser, "Only this ApiGateway (its pk or its api_id).")
        parser.add_argument(
            "--json", action="store_true", help="Print one JSON object, for scripts."
        )

    def handle(self, *args: Any, gateway: str | None, json: bool, **options: Any) -> None:
        gateways = ApiGateway.objects.all()
        if gateway is not None:
            gateways = gateways.filter(pk=find_gateway(gateway).pk)
        overview = compute_overview(gateways)
        self.stdout.write(as_json(overview) if json else as_text(overview))


def as_json(overview: Overview) -> str:
    return json.dumps(overview.as_json_data(), indent=2)


def as_text(overview: Overview) -> str:
    lines = [
        f"WebSocket overview at {overview.generated_on.strftime(TIME)}; "
        f"channel history: {overview.history_rows} message(s)"
    ]
    if len(overview.gateways) < overview.gateways_total:
        lines.append(
            f"(the first {len(overview.gateways)} of {overview.gateways_total} gateways; "
            "--gateway picks another)"
        )
    if not overview.gateways:
        lines.append("No gateway is registered.")
    for gateway in overview.gateways:
        lines += ["", *_gateway_lines(gateway, overview.stale_after_seconds)]
    return "\n".join(lines)


def _gateway_lines(gateway: GatewayOverview, stale_after_seconds: int) -> list[str]:
    return [
        f"{gateway.name} (api id {gateway.api_id or '-'}, pk {gateway.pk})",
        f"  connections now    {gateway.connections}",
        f"  connected users    {gateway.users} (and {gateway.anonymous} anonymous connection(s))",
        f"  stale              {gateway.stale} (still connected, opened over "
        f"{stale_after_seconds / 3600:g} h ago)",
        f"  last reconcile     {_reconcile(gateway)}",
        f"  top channels       {_channels(gateway.top_channels, presence=False)}",
        f"  presence channels  {_channels(gateway.presence_channels, presence=True)}",
        *_activity_lines(gateway.activity),
    ]


def _reconcile(gateway: GatewayOverview) -> str:
    run = gateway.last_reconcile
    if run is None:
        return "never"
    text = (
        f"{run.finished_on.strftime(TIME)}: {run.alive} alive, {run.gone} gone, "
        f"{run.pending} pending, {run.failed} failed"
    )
    if run.all_gateways:
        text += " (every gateway)"
    if run.channel:
        text += f" (channel {run.channel} only)"
    if run.first_error:
        text += f"; first error: {run.first_error}"
    return text


def _channels(channels: tuple[ChannelCount, ...], *, presence: bool) -> str:
    if not channels:
        return "none"
    if presence:
        return ", ".join(f"{c.name} ({c.users} users, {c.connections} conn.)" for c in channels)
    return ", ".join(f"{c.name} ({c.connections} conn., {c.users} users)" for c in channels)


def _activity_lines(activity: Activity) -> list[str]:
    peak = max((*activity.opened, *activity.closed, 1))
    first = activity.bucket_starts[0].strftime("%H:%M")

    def bars(counts: tuple[int, ...]) -> str:
        return "".join(
            BLOCKS[(count * len(BLOCKS) - 1) // peak] if count else " " for count in counts
        )

    return [
        f"  last hour from {first} UTC, 5 min a bar (peak {peak}):",
        f"    opened  |{bars(activity.opened)}|  {sum(activity.opened)}",
        f"    closed  |{bars(activity.closed)}|  {sum(activity.closed)}",
    ]
