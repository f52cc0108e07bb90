"""The last reconcile of each scope, as the reconcile command and task recorded it."""

from __future__ import annotations

from django.contrib import admin

from ..models import ReconcileRun
from .readonly import ReadOnlyAdmin


@admin.register(ReconcileRun)
class ReconcileRunAdmin(ReadOnlyAdmin):
    list_display = [
        "api_gateway",
        "channel_name",
        "finished_on",
        "alive",
        "gone",
        "pending",
        "failed",
    ]
    list_filter = ["api_gateway"]
    list_select_related = ["api_gateway"]
    ordering = ["-finished_on"]
    fields = readonly_fields = (
        "api_gateway",
        "channel_name",
        "started_on",
        "finished_on",
        "alive",
        "gone",
        "pending",
        "failed",
        "first_error",
    )
