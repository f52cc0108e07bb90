"""Is this request from our own API Gateway?

First the shared secret that our integrations add as a static header (the only
proof that cannot be forged by someone who can reach Django directly), checked
before anything touches the database; then the headers every gateway request
carries; then the api id, which must name a registered gateway.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass

from django.http import HttpRequest
from django.utils.crypto import constant_time_compare

from . import telemetry, wire
from .conf import conf
from .exceptions import Refused
from .models import ApiGateway

FALLBACK_CHANNEL_NAME = str(ApiGateway._meta.get_field("default_channel_name").default)


@dataclass(frozen=True)
class Gateway:
    """The gateway a request came through, as far as it matters to a view."""

    api_id: str
    # None when the request was admitted by the view's ``aws_api_gateway_id``
    # alone, with no ApiGateway record for it.
    pk: int | None
    default_channel_name: str


# Registered api ids, cached per process so that a message or connect does not
# pay a query to learn that its gateway exists (see conf.gateway_cache_seconds).
# api id -> (expiry on the monotonic clock, the gateway).
_registered: dict[str, tuple[float, Gateway]] = {}


def cached_gateway(api_id: str) -> Gateway | None:
    """The gateway registered under ``api_id``, else None.

    Only hits are cached: a gateway registered by another process is accepted at
    once. Saving or deleting a record clears this process's cache (the receivers
    in ``receivers``); other processes notice a deletion within
    ``gateway_cache_seconds`` (and a $connect for a deleted gateway is refused
    by the database anyway).
    """
    now = time.monotonic()
    cached = _registered.get(api_id)
    if cached is not None and cached[0] > now:
        return cached[1]
    row = ApiGateway.objects.filter(api_id=api_id).values_list("pk", "default_channel_name").first()
    if row is None:
        return None
    pk, channel = row
    gateway = Gateway(api_id, pk, channel or FALLBACK_CHANNEL_NAME)
    _registered[api_id] = (now + conf.gateway_cache_seconds, gateway)
    return gateway


def clear_gateway_cache() -> None:
    _registered.clear()


def check_secret(request: HttpRequest) -> None:
    secrets = conf.gateway_secrets
    if not secrets:
        return
    given = request.headers.get(wire.GATEWAY_SECRET_HEADER)
    if given is None:
        telemetry.refused("secret")
        raise Refused(
            "Forbidden.", 403, reason=f"no {wire.GATEWAY_SECRET_HEADER} header (the gateway secret)"
        )
    # Compare with every secret, not stopping at a match, so timing says nothing
    # about which one matched during a rotation.
    matches = [constant_time_compare(given, secret) for secret in secrets]
    if not any(matches):
        telemetry.refused("secret")
        raise Refused("Forbidden.", 403, reason="wrong gateway secret")


def check_headers(request: HttpRequest, names: Iterable[str]) -> None:
    missing = [name for name in names if not request.headers.get(name)]
    if missing:
        raise Refused(
            f"Missing header(s): {', '.join(missing)}.",
            reason=f"missing header(s) {missing}",
        )


def identify(request: HttpRequest, *, aws_api_gateway_id: str | None) -> Gateway:
    """The registered gateway named by the api id header.

    A view pinned to ``aws_api_gateway_id`` accepts that api id only, whether or
    not a record is registered for it: pinning restricts, it never widens.
    """
    api_id = request.headers.get(wire.API_ID_HEADER, "")
    if not wire.is_valid_api_id(api_id):
        raise Refused("Unknown API Gateway.", 403, reason=f"malformed api id {api_id[:80]!r}")
    if aws_api_gateway_id and not constant_time_compare(api_id, aws_api_gateway_id):
        raise Refused(
            "Unknown API Gateway.", 403, reason=f"api id {api_id!r} is not this view's gateway"
        )
    found = cached_gateway(api_id)
    if found is not None:
        return found
    if aws_api_gateway_id:
        return Gateway(api_id, None, FALLBACK_CHANNEL_NAME)
    raise Refused("Unknown API Gateway.", 403, reason=f"api id {api_id!r} not registered")


def authenticate(
    request: HttpRequest, *, required_headers: Iterable[str], aws_api_gateway_id: str | None
) -> Gateway:
    """The gateway of ``request``, or a refusal (403 wrong secret / gateway, 400 headers)."""
    check_secret(request)
    check_headers(request, required_headers)
    return identify(request, aws_api_gateway_id=aws_api_gateway_id)
