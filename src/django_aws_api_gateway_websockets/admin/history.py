"""Channel history: each channel's sequence, and the messages kept for resume. Read-only."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import admin
from django.db.models import Model
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from ..models import ChannelMessage, ChannelSequence
from .readonly import ReadOnlyAdmin

# Characters of a message's JSON shown in the list.
DATA_PREVIEW_LENGTH = 80


@admin.register(ChannelSequence)
class ChannelSequenceAdmin(ReadOnlyAdmin):
    list_display = ["channel_name", "last_seq", "messages"]
    search_fields = ["channel_name"]
    ordering = ["channel_name"]
    fields = readonly_fields = ("channel_name", "last_seq")

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        # Deleting it would restart the channel at seq 1, and pages that saw a
        # higher seq would drop the new messages as repeats.
        return False

    @admin.display(description=_("kept messages"))
    def messages(self, sequence: ChannelSequence) -> str:
        url = reverse("admin:django_aws_api_gateway_websockets_channelmessage_changelist")
        query = urlencode({"channel_name": sequence.channel_name})
        return format_html('<a href="{}?{}">{}</a>', url, query, _("messages"))


@admin.register(ChannelMessage)
class ChannelMessageAdmin(ReadOnlyAdmin):
    list_display = ["channel_name", "seq", "created_on", "data_preview"]
    # No list_filter: its choices would be a DISTINCT over the whole table. The
    # sequence list links here with ?channel_name=..., and search finds a channel.
    search_fields = ["channel_name"]
    date_hierarchy = "created_on"
    ordering = ["channel_name", "-seq"]
    fields = readonly_fields = ("channel_name", "seq", "created_on", "data")

    @admin.display(description=_("data"))
    def data_preview(self, message: ChannelMessage) -> str:
        text = message.data
        return text if len(text) <= DATA_PREVIEW_LENGTH else text[: DATA_PREVIEW_LENGTH - 1] + "…"
