"""WebSocketToken rows: read-only, and without the hashes they store."""

from __future__ import annotations

from django.contrib import admin
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ..conf import conf
from ..models import WebSocketToken
from .readonly import ReadOnlyAdmin
from .users import user_search_field

# The hashes would let nobody forge a token, but they have no use on screen.
SHOWN_FIELDS: tuple[str, ...] = ("user", "created_on", "used_on")


@admin.register(WebSocketToken)
class WebSocketTokenAdmin(ReadOnlyAdmin):
    list_display = ["user", "created_on", "used_on", "is_expired"]
    list_filter = [("used_on", admin.EmptyFieldListFilter), "created_on"]
    list_select_related = ["user"]
    search_fields = [user_search_field()]
    date_hierarchy = "created_on"
    fields = SHOWN_FIELDS
    readonly_fields = SHOWN_FIELDS
    ordering = ["-created_on"]

    @admin.display(boolean=True, description=_("expired"))
    def is_expired(self, token: WebSocketToken) -> bool:
        age = timezone.now() - token.created_on
        return age.total_seconds() > conf.token_expiry_seconds
