"""Django sessions that were logged out: no token or connection may bind to them again."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class LoggedOutSession(models.Model):
    # sha256 of the Django session key, as tokens and connections record it.
    # Written by the user_logged_out receiver before Django flushes the session:
    # a reconnect that slips between the signal and the flush is refused by it.
    django_session_hash = models.CharField(max_length=64, unique=True, editable=False)
    logged_out_on = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("logged-out session")
        indexes = [models.Index(fields=["logged_out_on"], name="dagw_logged_out_on")]

    def __str__(self) -> str:
        return f"session logged out {self.logged_out_on:%Y-%m-%d %H:%M:%S}"
