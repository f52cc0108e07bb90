"""The last reconcile of each scope, so that the overview can say when it ran and what it found."""

from __future__ import annotations

from datetime import datetime

from django.db import models, transaction
from django.utils.translation import gettext_lazy as _

from ..delivery import DeliveryReport
from .gateway import ApiGateway

# The first failure's reason is kept, cut to this length; the log has them all.
ERROR_LENGTH = 200


class ReconcileRun(models.Model):
    """One row per scope (a gateway or all of them, a channel or all), overwritten by each run.

    Written by ``reconcilewebsocketsessions`` (not ``--dry-run``, which repairs
    nothing) and the ``reconcile_connections`` task, so the table stays as small
    as the number of scopes a project reconciles.
    """

    # None: the run covered every gateway.
    api_gateway = models.ForeignKey(
        ApiGateway,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="reconcile_runs",
        verbose_name=_("gateway"),
    )
    # Blank: every channel.
    channel_name = models.CharField(_("channel"), max_length=100, blank=True)
    started_on = models.DateTimeField(_("started"))
    finished_on = models.DateTimeField(_("finished"))
    alive = models.PositiveIntegerField(default=0)
    gone = models.PositiveIntegerField(default=0)
    pending = models.PositiveIntegerField(default=0)
    failed = models.PositiveIntegerField(default=0)
    first_error = models.CharField(_("first error"), max_length=ERROR_LENGTH, blank=True)

    class Meta:
        verbose_name = _("reconcile run")
        indexes = [
            models.Index(fields=["api_gateway", "finished_on"], name="dagw_reconcile_gateway"),
        ]

    def __str__(self) -> str:
        scope = self.api_gateway_id or "all gateways"
        return f"reconcile of {scope} at {self.finished_on:%Y-%m-%d %H:%M:%S}"

    @classmethod
    def record(
        cls,
        result: DeliveryReport,
        *,
        gateway_pk: int | None,
        channel: str | None,
        started_on: datetime,
        finished_on: datetime,
    ) -> ReconcileRun:
        """Keep ``result`` as the last reconcile of its scope (replacing the previous one)."""
        first_error = next(iter(result.errors.values()), "")
        values = {
            "started_on": started_on,
            "finished_on": finished_on,
            "alive": result.alive,
            "gone": result.gone,
            "pending": result.pending,
            "failed": result.failed,
            "first_error": first_error[:ERROR_LENGTH],
        }
        with transaction.atomic():
            run, _created = cls.objects.update_or_create(
                api_gateway_id=gateway_pk, channel_name=channel or "", defaults=values
            )
        return run
