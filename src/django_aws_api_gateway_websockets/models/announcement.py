"""What the members of a presence channel were last told about one user (coalescing)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class PresenceAnnouncement(models.Model):
    channel_name = models.CharField(_("channel"), max_length=100)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    # "member_added" or "member_removed": the last event sent for this user here.
    event = models.CharField(max_length=20)
    announced_on = models.DateTimeField()
    # Set while changes are held back: when the flush task is due to announce
    # whatever the state is then.
    flush_due = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("presence announcement")
        constraints = [
            models.UniqueConstraint(
                fields=["channel_name", "user"], name="dagw_announcement_channel_user"
            )
        ]

    def __str__(self) -> str:
        return f"{self.channel_name}: {self.user_id} {self.event}"
