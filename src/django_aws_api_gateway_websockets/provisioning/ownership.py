"""Which AWS resources this app created, and so may change or delete.

Every API and domain name the app creates carries the tag ``managed-by:
django-aws-api-gateway-websockets``. A record can point at an API that lacks it
(an id typed in, an API built by hand or by an older version of this app); the
app then refuses to converge, sync or delete it unless the caller adopts it.
"""

from __future__ import annotations

from collections.abc import Mapping

from .errors import ProvisioningError

MANAGED_TAG_KEY = "managed-by"
MANAGED_TAG_VALUE = "django-aws-api-gateway-websockets"
MANAGED_TAGS: Mapping[str, str] = {MANAGED_TAG_KEY: MANAGED_TAG_VALUE}


def is_managed(tags: Mapping[str, str] | None) -> bool:
    return (tags or {}).get(MANAGED_TAG_KEY) == MANAGED_TAG_VALUE


def check_api_owned(tags: Mapping[str, str], api_id: str, command: str, *, adopt: bool) -> None:
    """Raise unless the API is the app's or ``adopt``; ``command`` is how to adopt it."""
    if adopt or is_managed(tags):
        return
    other = tags.get(MANAGED_TAG_KEY)
    why = (
        f"it is tagged {MANAGED_TAG_KEY}={other}"
        if other
        else f"it has no tag {MANAGED_TAG_KEY}={MANAGED_TAG_VALUE}"
    )
    raise ProvisioningError(
        f"API {api_id} was not created by this app ({why}); nothing was changed. "
        f"If this record should own it, run `manage.py {command} --adopt`"
    )
