"""WebSocketSession rows: browse, count, and close connections."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from django.contrib import admin, messages
from django.db.models import Count, Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import URLPattern
from django.utils.html import format_html
from django.utils.timezone import localtime
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from ..models import ChannelMembership, WebSocketSession
from .overview import overview_urls
from .readonly import ReadOnlyAdmin
from .users import user_search_field

# The session hashes identify a Django login; they stay off the screen.
SHOWN_FIELDS: tuple[str, ...] = (
    "connection_id",
    "channel_name",
    "user",
    "api_gateway",
    "connected",
    "request_count",
    "source_ip",
    "created_on",
    "updated_on",
)


def compact_time(value: datetime) -> str:
    """``2026-11-27`` over ``14:05:09``, in the current time zone: sortable, and narrow."""
    local = localtime(value)
    return format_html(
        '<span class="nowrap">{}</span><br><span class="nowrap">{}</span>',
        local.strftime("%Y-%m-%d"),
        local.strftime("%H:%M:%S"),
    )


# Channels offered by the "in channel" filter; any other is reachable by URL (?channel=x).
CHANNEL_FILTER_CHOICES = 100


class InChannelFilter(admin.SimpleListFilter):
    """Sessions in a channel: its ``channel_name`` or a subscription (``in_channel``)."""

    title = _("in channel")
    parameter_name = "channel"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        names = (
            ChannelMembership.objects.order_by("channel_name")
            .values_list("channel_name", flat=True)
            .distinct()[:CHANNEL_FILTER_CHOICES]
        )
        return [(name, name) for name in names]

    def queryset(
        self, request: HttpRequest, queryset: QuerySet[WebSocketSession]
    ) -> QuerySet[WebSocketSession]:
        value = self.value()
        return queryset.in_channel(value) if value else queryset  # type: ignore[attr-defined]


# ModelAdmin inlines are generic only in django-stubs, not at runtime.
if TYPE_CHECKING:
    _TabularInline = admin.TabularInline[ChannelMembership, WebSocketSession]
else:
    _TabularInline = admin.TabularInline


class ChannelMembershipInline(_TabularInline):
    """The channels a session is in; only the app writes them."""

    model = ChannelMembership
    fields = readonly_fields = ("channel_name", "presence_info", "joined_on")
    extra = 0
    can_delete = False
    show_change_link = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(WebSocketSession)
class WebSocketSessionAdmin(ReadOnlyAdmin):
    # Short headers and compact times, so that every column fits beside the
    # admin's two sidebars at 1280 px (the template lets headers wrap).
    list_display = [
        "connection_id",
        "channel_name",
        "user",
        "api_gateway",
        "is_open",
        "requests",
        "opened",
        "last_active",
    ]
    list_filter = ["connected", InChannelFilter, "channel_name", "api_gateway"]
    list_select_related = ["user", "api_gateway"]
    search_fields = ["connection_id", "channel_name", user_search_field()]
    date_hierarchy = "created_on"
    ordering = ["-created_on"]
    fields = SHOWN_FIELDS
    readonly_fields = SHOWN_FIELDS
    inlines = [ChannelMembershipInline]
    actions = ["disconnect_selected", "reconcile_selected"]

    @admin.display(description=_("open"), boolean=True, ordering="connected")
    def is_open(self, session: WebSocketSession) -> bool:
        return session.connected

    @admin.display(description=_("requests"), ordering="request_count")
    def requests(self, session: WebSocketSession) -> int:
        return session.request_count

    @admin.display(description=_("opened"), ordering="created_on")
    def opened(self, session: WebSocketSession) -> str:
        return compact_time(session.created_on)

    @admin.display(description=_("last active"), ordering="updated_on")
    def last_active(self, session: WebSocketSession) -> str:
        return compact_time(session.updated_on)

    def has_disconnect_permission(self, request: HttpRequest) -> bool:
        opts = self.opts
        return request.user.has_perm(f"{opts.app_label}.change_{opts.model_name}")

    @admin.action(description=_("Disconnect selected sessions"), permissions=["disconnect"])
    def disconnect_selected(
        self, request: HttpRequest, queryset: QuerySet[WebSocketSession]
    ) -> None:
        from ..messaging import close_connections  # messaging imports the models too

        result = close_connections(queryset.filter(connected=True).select_related("api_gateway"))
        message = ngettext(
            "Closed %(sent)d connection",
            "Closed %(sent)d connections",
            result.sent,
        ) % {"sent": result.sent}
        message += "; " + _("%(gone)d already gone; %(failed)d failed.") % {
            "gone": result.gone,
            "failed": result.failed,
        }
        self.message_user(request, message, messages.WARNING if result.failed else messages.SUCCESS)

    @admin.action(
        description=_("Reconcile selected sessions with API Gateway"), permissions=["disconnect"]
    )
    def reconcile_selected(
        self, request: HttpRequest, queryset: QuerySet[WebSocketSession]
    ) -> None:
        from ..messaging import reconcile_sessions

        result = reconcile_sessions(queryset)
        message = _(
            "Asked API Gateway about %(total)d connected session(s): %(alive)d open, "
            "%(gone)d gone and marked disconnected, %(pending)d still connecting, "
            "%(failed)d failed."
        ) % {
            "total": result.total,
            "alive": result.alive,
            "gone": result.gone,
            "pending": result.pending,
            "failed": result.failed,
        }
        self.message_user(request, message, messages.WARNING if result.failed else messages.SUCCESS)

    def get_urls(self) -> list[URLPattern]:
        # Before the defaults, whose "<path:object_id>/" would take "overview/".
        return [*overview_urls(self), *super().get_urls()]

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        response = super().changelist_view(request, extra_context)
        context = getattr(response, "context_data", None)
        if isinstance(response, TemplateResponse) and context and "cl" in context:
            # Counts of what the current search and filters select, in one query.
            context["session_counts"] = context["cl"].queryset.aggregate(
                total=Count("pk"), connected=Count("pk", filter=Q(connected=True))
            )
        return response
