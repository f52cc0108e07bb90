"""ConnectionRateLimit rows: read-only counters."""

from __future__ import annotations

from django.contrib import admin

from ..models import ConnectionRateLimit
from .readonly import ReadOnlyAdmin

SHOWN_FIELDS: tuple[str, ...] = ("key", "window_start", "attempts")


@admin.register(ConnectionRateLimit)
class ConnectionRateLimitAdmin(ReadOnlyAdmin):
    list_display = ["key", "window_start", "attempts"]
    search_fields = ["key"]
    date_hierarchy = "window_start"
    fields = SHOWN_FIELDS
    readonly_fields = SHOWN_FIELDS
    ordering = ["-window_start"]
