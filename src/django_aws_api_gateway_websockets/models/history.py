"""What ``publish`` keeps per channel: its last sequence number, and the recent messages."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

# As wide as WebSocketSession.channel_name: every channel a session can name fits.
CHANNEL_NAME_LENGTH = 100


class ChannelSequence(models.Model):
    """The last ``seq`` handed out for one channel (0 is never handed out).

    Advanced by one atomic ``INSERT ... ON CONFLICT DO UPDATE ... RETURNING``
    (``publishing``); never reset or deleted by cleanup, so a ``seq`` is never reused.
    """

    channel_name = models.CharField(_("channel"), max_length=CHANNEL_NAME_LENGTH, unique=True)
    last_seq = models.BigIntegerField(_("last seq"), default=0)

    class Meta:
        verbose_name = _("channel sequence")

    def __str__(self) -> str:
        return f"{self.channel_name} @ {self.last_seq}"


class ChannelMessage(models.Model):
    """One published message, as the JSON text of its ``data`` (compact, ASCII)."""

    channel_name = models.CharField(_("channel"), max_length=CHANNEL_NAME_LENGTH)
    seq = models.BigIntegerField(_("seq"))
    data = models.TextField(_("data (JSON)"))
    created_on = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("channel message")
        constraints = [
            # Also the index resume's range read and the trim walk.
            models.UniqueConstraint(
                fields=["channel_name", "seq"], name="dagw_message_channel_seq"
            ),
        ]
        indexes = [models.Index(fields=["created_on"], name="dagw_message_created")]

    def __str__(self) -> str:
        return f"{self.channel_name} #{self.seq}"


def column(model: type[models.Model], field_name: str) -> str:
    """The database column of one of ``model``'s own fields (for the raw upsert and read)."""
    field = model._meta.get_field(field_name)
    assert isinstance(field, models.Field) and field.column  # a concrete field, not a relation
    return field.column
