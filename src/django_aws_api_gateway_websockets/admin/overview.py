"""The live overview page: ``compute_overview()`` as HTML, with an SVG chart per gateway."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from django.template.response import TemplateResponse
from django.urls import URLPattern, path
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.timezone import localtime
from django.utils.translation import gettext as _

from ..models import ApiGateway
from ..overview import Activity, compute_overview

if TYPE_CHECKING:
    from django.contrib.admin import ModelAdmin

TEMPLATE = "admin/django_aws_api_gateway_websockets/overview.html"
# The page reloads itself this often (a meta refresh: no script).
REFRESH_SECONDS = 30

# The chart's geometry, in SVG user units (it scales with the page).
WIDTH, HEIGHT = 480, 150
LEFT, RIGHT, TOP, BOTTOM = 32, 8, 10, 22
OPENED_COLOUR, CLOSED_COLOUR = "#417690", "#ba2121"


def overview_urls(model_admin: ModelAdmin[Any]) -> list[URLPattern]:
    """The page's URL, under the sessions' admin (``.../websocketsession/overview/``)."""
    opts = model_admin.opts
    view = model_admin.admin_site.admin_view(lambda request: overview_view(model_admin, request))
    return [path("overview/", view, name=f"{opts.app_label}_{opts.model_name}_overview")]


def overview_view(model_admin: ModelAdmin[Any], request: HttpRequest) -> TemplateResponse:
    # admin_view has let staff in; the figures are about sessions, so viewing
    # sessions is what it takes.
    if not model_admin.has_view_permission(request):
        raise PermissionDenied
    gateways = ApiGateway.objects.all()
    chosen = request.GET.get("gateway", "")
    if chosen.isdigit():
        gateways = gateways.filter(pk=int(chosen))
    overview = compute_overview(gateways)
    context = {
        **model_admin.admin_site.each_context(request),
        "opts": model_admin.opts,
        "title": _("WebSocket overview"),
        "overview": overview,
        "gateways": [(gateway, activity_chart(gateway.activity)) for gateway in overview.gateways],
        "stale_after_hours": overview.stale_after_seconds / 3600,
        "refresh_seconds": REFRESH_SECONDS,
        "chosen_gateway": chosen,
    }
    return TemplateResponse(request, TEMPLATE, context)


def activity_chart(activity: Activity) -> SafeString:
    """Bars of connections opened and closed per bucket, as inline SVG."""
    peak = max((*activity.opened, *activity.closed, 1))
    plot_width = WIDTH - LEFT - RIGHT
    plot_height = HEIGHT - TOP - BOTTOM
    slot = plot_width / len(activity.opened)
    bar = slot * 0.4
    baseline = TOP + plot_height
    bars = []
    labels = []
    for index, start in enumerate(activity.bucket_starts):
        x = LEFT + index * slot
        when = localtime(start).strftime("%H:%M")
        for offset, count, colour, kind in (
            (0.1, activity.opened[index], OPENED_COLOUR, _("opened")),
            (0.5, activity.closed[index], CLOSED_COLOUR, _("closed")),
        ):
            height = plot_height * count / peak
            bars.append(
                (
                    f"{x + offset * slot:.1f}",
                    f"{baseline - height:.1f}",
                    f"{bar:.1f}",
                    f"{height:.1f}",
                    colour,
                    f"{when}: {count} {kind}",
                )
            )
        if index % 3 == 0:
            labels.append((f"{x:.1f}", HEIGHT - 6, when))
    summary = _("Connections in the last hour: %(opened)d opened, %(closed)d closed") % {
        "opened": sum(activity.opened),
        "closed": sum(activity.closed),
    }
    return format_html(
        '<svg class="dagw-activity" viewBox="0 0 {w} {h}" width="{w}" height="{h}" '
        'role="img" aria-label="{summary}" xmlns="http://www.w3.org/2000/svg">'
        "<title>{summary}</title>"
        '<line x1="{left}" y1="{base}" x2="{right}" y2="{base}" stroke="#999"/>'
        '<text x="{ylabel_x}" y="{top_text}" font-size="10" text-anchor="end">{peak}</text>'
        '<text x="{ylabel_x}" y="{base}" font-size="10" text-anchor="end">0</text>'
        "{bars}{labels}</svg>",
        w=WIDTH,
        h=HEIGHT,
        summary=summary,
        left=LEFT,
        right=WIDTH - RIGHT,
        base=f"{baseline:.1f}",
        ylabel_x=LEFT - 4,
        top_text=TOP + 8,
        peak=peak,
        bars=format_html_join(
            "",
            '<rect class="dagw-bar" x="{}" y="{}" width="{}" height="{}" fill="{}">'
            "<title>{}</title></rect>",
            bars,
        ),
        labels=format_html_join("", '<text x="{}" y="{}" font-size="10">{}</text>', labels),
    )
