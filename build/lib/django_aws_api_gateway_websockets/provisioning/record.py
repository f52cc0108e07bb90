"""Writing provisioning results and status onto the gateway record."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from django.utils import timezone

from ..models.gateway import ApiGateway, ProvisioningStatus
from .errors import EXPECTED_ERRORS, ProvisioningError, describe, scrub
from .progress import Progress


def save_fields(gateway: ApiGateway, *names: str) -> None:
    # Only what provisioning owns: an admin editing other fields meanwhile keeps them.
    gateway.save(update_fields=[*names, "updated_on"])


def _set_status(gateway: ApiGateway, status: str, error: str = "") -> None:
    gateway.provisioning_status = status
    gateway.provisioning_error = error
    names = ["provisioning_status", "provisioning_error"]
    if status == ProvisioningStatus.READY:
        gateway.provisioned_on = timezone.now()
        names.append("provisioned_on")
    save_fields(gateway, *names)


@contextmanager
def operation(
    gateway: ApiGateway,
    title: str,
    report: Progress,
    *,
    done: str = ProvisioningStatus.READY,
) -> Iterator[None]:
    """Status in progress, then ``done``; on failure, failed with a secret-free error.

    Expected failures (AWS said no, bad configuration) become ``ProvisioningError``;
    anything else is a bug and propagates as it is, after being recorded.
    """
    _set_status(gateway, ProvisioningStatus.IN_PROGRESS)
    report(f"{title}: {gateway} (pk {gateway.pk})")
    try:
        yield
    except (ProvisioningError, *EXPECTED_ERRORS) as exc:
        message = f"{title} failed: {describe(exc)}"
        _set_status(gateway, ProvisioningStatus.FAILED, message)
        raise ProvisioningError(message) from exc
    except Exception as exc:
        _set_status(gateway, ProvisioningStatus.FAILED, f"{title} failed: {scrub(repr(exc))}")
        raise
    _set_status(gateway, done)
    report(f"{title}: done")


@contextmanager
def expected_errors(title: str) -> Iterator[None]:
    """For read-only work (dry runs, exports): the same errors, no status change."""
    try:
        yield
    except (ProvisioningError, *EXPECTED_ERRORS) as exc:
        raise ProvisioningError(f"{title} failed: {describe(exc)}") from exc
