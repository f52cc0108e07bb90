"""Delete disconnected WebSocketSession rows (after expiring ones API Gateway has closed)."""

from __future__ import annotations

import argparse
from datetime import timedelta
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from ...cleanup import clear_sessions


def _non_negative(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not value >= 0:
        raise argparse.ArgumentTypeError(f"{text!r} is not 0 or more")
    return value


class Command(BaseCommand):
    help = (
        "Mark sessions older than API Gateway's connection limit disconnected, "
        "then delete disconnected sessions."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--older-than-hours",
            type=_non_negative,
            default=None,
            metavar="N",
            help="Only delete disconnected sessions not updated for N hours.",
        )

    def handle(self, *args: Any, older_than_hours: float | None, **options: Any) -> None:
        older_than = None if older_than_hours is None else timedelta(hours=older_than_hours)
        result = clear_sessions(older_than=older_than)
        self.stdout.write(
            f"Marked {result.expired} expired session(s) disconnected; "
            f"deleted {result.deleted} disconnected session(s)."
        )
