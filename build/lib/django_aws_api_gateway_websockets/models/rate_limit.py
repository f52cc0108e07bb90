"""Fixed-window attempt counters, one row per key and window."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class ConnectionRateLimit(models.Model):
    # e.g. "connect:ip:203.0.113.7", "connect:user:42", "token:user:42"
    key = models.CharField(max_length=255)
    window_start = models.DateTimeField()
    attempts = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("connection rate limit")
        constraints = [
            models.UniqueConstraint(fields=["key", "window_start"], name="dagw_unique_rate_window")
        ]
        indexes = [models.Index(fields=["window_start"], name="dagw_rate_window_start")]

    def __str__(self) -> str:
        return f"{self.key} @ {self.window_start:%Y-%m-%d %H:%M}: {self.attempts}"
