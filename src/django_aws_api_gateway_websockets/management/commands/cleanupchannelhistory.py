"""Delete the channel messages beyond the history's count and age bounds."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from ...cleanup import HistoryTrim, trim_channel_history
from ...conf import conf

_REASONS = {"age": "older than the age bound", "count": "beyond the count bound"}


class Command(BaseCommand):
    help = (
        "Delete channel messages that resume no longer serves: older than "
        'WEBSOCKETS["history_max_age_seconds"] or beyond the last '
        'WEBSOCKETS["history_max_messages"] of their channel. Sequences are kept.'
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--dry-run", action="store_true", help="Count what would be deleted; delete nothing."
        )

    def handle(self, *args: Any, dry_run: bool, **options: Any) -> None:
        result = trim_channel_history(dry_run=dry_run, progress=self.show_progress)
        self.stdout.write(summary(result))

    def show_progress(self, what: str, deleted: int) -> None:
        self.stdout.write(f"deleted {deleted} message(s) {_REASONS[what]} so far")
        self.stdout.flush()


def summary(result: HistoryTrim) -> str:
    verb = "Would delete" if result.dry_run else "Deleted"
    return (
        f"{verb} {result.deleted} channel message(s): {result.by_age} older than "
        f"{conf.history_max_age_seconds} s, {result.by_count} beyond the last "
        f"{conf.history_max_messages} of their channel."
    )
