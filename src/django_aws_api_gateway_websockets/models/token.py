"""Short-lived single-use tokens that authenticate a WebSocket $connect."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class WebSocketToken(models.Model):
    # sha256 of the token the client holds; the token itself is never stored.
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="websocket_tokens"
    )
    # sha256 of the Django session key the token was issued to.
    django_session_hash = models.CharField(max_length=64, editable=False)
    # The user's session auth hash when the token was issued: a password change
    # since then makes the token useless, as it logs out the user's other sessions.
    session_auth_hash = models.CharField(max_length=128, blank=True, editable=False)
    created_on = models.DateTimeField(auto_now_add=True)
    used_on = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("WebSocket token")
        indexes = [
            models.Index(fields=["created_on"], name="dagw_token_created"),
            models.Index(fields=["django_session_hash"], name="dagw_token_django_session"),
        ]

    def __str__(self) -> str:
        return f"token for {self.user} issued {self.created_on:%Y-%m-%d %H:%M:%S}"
