"""What a channel name may look like: the characters, shared by the models and ``channels``.

Defined here, below both, so that ``ApiGateway.default_channel_name`` is
validated by the same rule as every ``?channel=`` and ``subscribe``.
"""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

CHANNEL_NAME_RE = re.compile(r"[A-Za-z0-9_-]+")


def validate_channel_name_characters(value: str) -> None:
    """Model field validator: letters, digits, ``_`` and ``-`` (the field bounds the length)."""
    if not value or CHANNEL_NAME_RE.fullmatch(value) is None:
        raise ValidationError(
            _("A channel name may only contain letters, digits, '_' and '-'."),
            code="invalid_channel_name",
        )
