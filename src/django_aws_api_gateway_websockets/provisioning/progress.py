"""Progress lines: long operations report each step as it happens."""

from __future__ import annotations

from collections.abc import Callable

from ..log_context import get_logger

logger = get_logger("django_aws_api_gateway_websockets.provisioning")

Progress = Callable[[str], None]


def reporter(progress: Progress | None) -> Progress:
    """Log every line, and hand it to ``progress`` (e.g. a command's stdout) too."""

    def report(message: str) -> None:
        logger.info("%s", message)
        if progress is not None:
            progress(message)

    return report
