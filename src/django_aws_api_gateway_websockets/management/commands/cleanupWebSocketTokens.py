"""Delete spent WebSocket tokens, finished connection rate-limit windows and old logouts."""

from __future__ import annotations

import argparse
from datetime import timedelta
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from ...cleanup import cleanup_tokens

DEFAULT_TOKEN_AGE_SECONDS = 3600
DEFAULT_RATE_LIMIT_AGE_SECONDS = 3600


def _seconds(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number of seconds") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"{text!r} is not 0 or more")
    return value


class Command(BaseCommand):
    help = "Delete used or expired WebSocket tokens and old connection rate-limit rows."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--token-age",
            type=_seconds,
            default=DEFAULT_TOKEN_AGE_SECONDS,
            metavar="SECONDS",
            help="Delete used or expired tokens issued more than SECONDS ago "
            f"(default {DEFAULT_TOKEN_AGE_SECONDS}).",
        )
        parser.add_argument(
            "--rate-limit-age",
            type=_seconds,
            default=DEFAULT_RATE_LIMIT_AGE_SECONDS,
            metavar="SECONDS",
            help="Delete rate-limit windows that started more than SECONDS ago "
            f"(default {DEFAULT_RATE_LIMIT_AGE_SECONDS}); a window still counting is kept.",
        )

    def handle(self, *args: Any, token_age: int, rate_limit_age: int, **options: Any) -> None:
        result = cleanup_tokens(
            token_age=timedelta(seconds=token_age),
            rate_limit_age=timedelta(seconds=rate_limit_age),
        )
        self.stdout.write(
            f"Deleted {result.tokens} token(s) and {result.rate_limits} rate-limit row(s)."
        )
        if result.logouts:
            self.stdout.write(f"Deleted {result.logouts} logged-out session record(s).")
