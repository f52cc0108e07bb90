"""The one exception provisioning raises, with messages safe to show and store."""

from __future__ import annotations

import re

from botocore.exceptions import BotoCoreError, ClientError

from ..aws import ConfigurationError
from ..conf import conf
from ..wire import GATEWAY_SECRET_HEADER

MASK = "********"

# A secret no longer configured (the one being rotated out) can still be echoed
# back by AWS inside a request parameter; mask any value given to the header.
_SECRET_PARAMETER_RE = re.compile(
    rf"({re.escape(GATEWAY_SECRET_HEADER)}['\"]?\s*[:=]\s*['\"]*)[^'\",}}\s]+", re.IGNORECASE
)

# Errors that mean "AWS (or the configuration) said no", as opposed to bugs.
EXPECTED_ERRORS = (ClientError, BotoCoreError, ConfigurationError)


class ProvisioningError(Exception):
    """An AWS call or the record's configuration failed; the message has no secrets."""


def scrub(message: str) -> str:
    for secret in conf.gateway_secrets:
        message = message.replace(secret, MASK)
    return _SECRET_PARAMETER_RE.sub(rf"\g<1>{MASK}", message)


def describe(exc: BaseException) -> str:
    if isinstance(exc, ClientError):
        error = exc.response.get("Error", {})
        operation = exc.operation_name
        code = error.get("Code", "Error")
        return scrub(f"{operation}: {code}: {error.get('Message', '')}".rstrip(": "))
    return scrub(str(exc) or type(exc).__name__)


def error_code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


def is_not_found(exc: ClientError) -> bool:
    return error_code(exc) in {
        "NotFoundException",
        "ResourceNotFoundException",
        "NoSuchHostedZone",
    }
