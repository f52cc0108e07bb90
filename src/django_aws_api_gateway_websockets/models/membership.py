"""One row per channel a connection is in: the $connect channel(s) and every subscribe."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from .session import WebSocketSession


class ChannelMembership(models.Model):
    session = models.ForeignKey(
        WebSocketSession, on_delete=models.CASCADE, related_name="memberships"
    )
    channel_name = models.CharField(_("channel"), max_length=100)
    # Copied from the session so that presence counts a user's tabs without a join.
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="websocket_memberships",
    )
    # Set (a dict) only for a membership of a presence channel: what the view's
    # presence_info(user) said when the connection joined.
    presence_info = models.JSONField(_("presence info"), null=True, blank=True)
    joined_on = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("channel membership")
        constraints = [
            # Also the index of the multicast lookup (channel_name first).
            models.UniqueConstraint(
                fields=["channel_name", "session"], name="dagw_membership_channel_session"
            )
        ]
        indexes = [
            models.Index(fields=["channel_name", "user"], name="dagw_membership_presence"),
        ]

    def __str__(self) -> str:
        return f"{self.channel_name}: {self.session_id}"
