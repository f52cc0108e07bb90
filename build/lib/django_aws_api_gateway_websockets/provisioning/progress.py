"""Progress lines: long operations report each step as it happens."""

from __future__ import annotations

import logging
from collections.abc import Callable

logger = logging.getLogger("django_aws_api_gateway_websockets.provisioning")

Progress = Callable[[str], None]


def reporter(progress: Progress | None) -> Progress:
    """Log every line, and hand it to ``progress`` (e.g. a command's stdout) too."""

    def report(message: str) -> None:
        logger.info("%s", message)
        if progress is not None:
            progress(message)

    return report
