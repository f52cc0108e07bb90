"""What the provisioning management commands share: argument, errors, summary.

The leading underscore keeps Django from taking this module for a command.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager

from django.core.management.base import CommandError, CommandParser

from ...provisioning import Change, ProvisioningError


def add_pk_argument(parser: CommandParser) -> None:
    parser.add_argument(
        "--pk", type=int, required=True, metavar="N", help="Primary key of the ApiGateway record."
    )


def add_adopt_argument(parser: CommandParser) -> None:
    parser.add_argument(
        "--adopt",
        action="store_true",
        help=(
            "Take over an API this app did not create (one without the tag "
            "managed-by=django-aws-api-gateway-websockets): tag it, and make it match the "
            "record, removing tags that are not on the record."
        ),
    )


@contextmanager
def command_errors() -> Iterator[None]:
    """An expected failure is a one-line CommandError, not a traceback."""
    try:
        yield
    except ProvisioningError as exc:
        raise CommandError(str(exc)) from exc


def summary(changes: Sequence[Change], *, dry_run: bool = False) -> str:
    if not changes:
        return "No changes: AWS matches the record."
    verb = "would be made" if dry_run else "made"
    return f"{len(changes)} change(s) {verb}."
