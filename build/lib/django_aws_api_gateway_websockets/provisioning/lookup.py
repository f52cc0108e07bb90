"""Finding the record a command names."""

from __future__ import annotations

from ..models import ApiGateway
from .errors import ProvisioningError


def load_gateway(pk: int) -> ApiGateway:
    try:
        return ApiGateway.objects.get(pk=pk)
    except ApiGateway.DoesNotExist:
        raise ProvisioningError(f"no ApiGateway with pk {pk}") from None
