"""Admin actions that build, sync and tear down a gateway's API in AWS.

Each action calls ``provisioning`` (``create_gateway(gateway)`` and friends),
one gateway at a time, and reports every outcome with ``message_user``: an AWS
refusal or a bad configuration is an error message, never a 500. Provisioning's
messages and change descriptions never carry the gateway secret.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.db.models import QuerySet
from django.forms import BaseFormSet, ModelForm
from django.http import HttpRequest
from django.template.response import TemplateResponse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from .. import provisioning
from ..models import ApiGateway, WebSocketSession
from ..models.gateway import IntegrationType
from ..provisioning import Change, ProvisioningError
from ..provisioning.errors import EXPECTED_ERRORS, describe

if TYPE_CHECKING:
    # Generic only in django-stubs, not at runtime.
    ModelAdmin = admin.ModelAdmin[ApiGateway]

CONFIRMATION_TEMPLATE = (
    "admin/django_aws_api_gateway_websockets/apigateway/provisioning_confirmation.html"
)
# Set by the confirmation page's button: the action runs for real.
CONFIRM_FIELD = "post"

# The record's fields that provisioning's plan is built from: editing one of them
# on a created gateway changes AWS to match.
SYNCED_FIELDS = frozenset(
    {
        "api_name",
        "api_description",
        "route_selection_expression",
        "api_key_selection_expression",
        "tags",
        "integration_type",
        "target_base_endpoint",
        "lambda_function_arn",
        "integration_timeout_ms",
        "stage_name",
        "stage_description",
    }
)


@dataclass
class Outcome:
    """What one gateway's operation did, or why it failed."""

    gateway: ApiGateway
    changes: list[Change] = field(default_factory=list)
    error: str = ""


def run(gateway: ApiGateway, operation: Callable[[ApiGateway], list[Change]]) -> Outcome:
    try:
        return Outcome(gateway, operation(gateway))
    except (ProvisioningError, *EXPECTED_ERRORS) as exc:
        return Outcome(gateway, error=describe(exc))


def change_list(intro: str, changes: Sequence[Change]) -> SafeString:
    items = format_html_join("", "<li>{}</li>", ((str(change),) for change in changes))
    return format_html("{}<ul>{}</ul>", intro, items)


def report(
    modeladmin: ModelAdmin,
    request: HttpRequest,
    outcome: Outcome,
    done: str,
    unchanged: str | None = None,
) -> None:
    """One message for ``outcome``: its changes, "nothing to do", or the error."""
    name = outcome.gateway.api_name
    if outcome.error:
        modeladmin.message_user(request, f"{name}: {outcome.error}", messages.ERROR)
        return
    changes = outcome.changes
    if not changes and unchanged is not None:
        modeladmin.message_user(request, f"{name}: {unchanged}", messages.SUCCESS)
        return
    count = ngettext("%(count)d change", "%(count)d changes", len(changes)) % {
        "count": len(changes)
    }
    intro = f"{name}: {done} ({count})" + (":" if changes else ".")
    modeladmin.message_user(request, change_list(intro, changes), messages.SUCCESS)


def confirmation_page(
    modeladmin: ModelAdmin,
    request: HttpRequest,
    queryset: QuerySet[ApiGateway],
    *,
    action: str,
    title: str,
    intro: str,
    items: Iterable[tuple[ApiGateway, Sequence[str], str]],
    submit: str,
) -> TemplateResponse:
    """Like Django's delete confirmation: what will happen, and a button to do it."""
    context = {
        **modeladmin.admin_site.each_context(request),
        "title": title,
        "subtitle": None,
        "intro": intro,
        "items": list(items),
        "queryset": queryset,
        "opts": modeladmin.opts,
        "action": action,
        "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
        "confirm_field": CONFIRM_FIELD,
        "submit_label": submit,
    }
    return TemplateResponse(request, CONFIRMATION_TEMPLATE, context)


def confirmed(request: HttpRequest) -> bool:
    return request.POST.get(CONFIRM_FIELD) == "yes"


# The actions


@admin.action(description=gettext_lazy("Create API Gateway"), permissions=["change"])
def create_api_gateway(
    modeladmin: ModelAdmin, request: HttpRequest, queryset: QuerySet[ApiGateway]
) -> None:
    for gateway in queryset:
        outcome = run(gateway, provisioning.create_gateway)
        report(
            modeladmin,
            request,
            outcome,
            _("API Gateway created; clients connect to %(url)s") % {"url": gateway.client_url},
            _("the API Gateway already exists and matches the record; nothing changed."),
        )


@admin.action(description=gettext_lazy("Create custom domain"), permissions=["change"])
def create_custom_domain(
    modeladmin: ModelAdmin, request: HttpRequest, queryset: QuerySet[ApiGateway]
) -> None:
    for gateway in queryset:
        outcome = run(gateway, provisioning.create_custom_domain)
        report(
            modeladmin,
            request,
            outcome,
            _("custom domain ready; clients connect to wss://%(domain)s")
            % {"domain": gateway.domain_name},
            _("the custom domain wss://%(domain)s is already set up; nothing changed.")
            % {"domain": gateway.domain_name},
        )


@admin.action(description=gettext_lazy("Sync with AWS"), permissions=["change"])
def sync_with_aws(
    modeladmin: ModelAdmin, request: HttpRequest, queryset: QuerySet[ApiGateway]
) -> TemplateResponse | None:
    """First the differences (a dry run) on a page; its button applies them."""
    if confirmed(request):
        for gateway in queryset:
            report(
                modeladmin,
                request,
                run(gateway, provisioning.sync_gateway),
                _("synced with AWS and redeployed"),
                _("AWS already matches the record; nothing changed."),
            )
        return None
    previews = [
        run(gateway, lambda g: provisioning.sync_gateway(g, dry_run=True)) for gateway in queryset
    ]
    if not any(preview.changes for preview in previews):
        for preview in previews:
            report(modeladmin, request, preview, "", _("AWS already matches the record."))
        return None
    return confirmation_page(
        modeladmin,
        request,
        queryset,
        action="sync_with_aws",
        title=_("Sync with AWS"),
        intro=_("These changes will be made in AWS, followed by a new deployment:"),
        items=[
            (preview.gateway, [str(change) for change in preview.changes], preview.error)
            for preview in previews
        ],
        submit=_("Apply the changes"),
    )


def deletion_plan(gateway: ApiGateway) -> list[str]:
    """What ``delete_gateway()`` will remove, read from the record alone."""
    lines = []
    if gateway.domain_name and (gateway.custom_domain_created or gateway.api_mapping_id):
        if gateway.hosted_zone_id:
            lines.append(
                _("the DNS alias %(domain)s in hosted zone %(zone)s")
                % {"domain": gateway.domain_name, "zone": gateway.hosted_zone_id}
            )
        lines.append(
            _(
                "the API mapping of %(domain)s, and the domain if this app created it and "
                "no other API uses it"
            )
            % {"domain": gateway.domain_name}
        )
    if gateway.api_id and gateway.integration_type == IntegrationType.LAMBDA:
        lines.append(
            _("the permission that lets this API invoke %(function)s")
            % {"function": gateway.lambda_function_arn}
        )
    if gateway.api_id:
        lines.append(
            _("API %(api_id)s with its routes, integrations, stages and deployments")
            % {"api_id": gateway.api_id}
        )
    connected = WebSocketSession.objects.filter(api_gateway=gateway, connected=True).count()
    if connected:
        lines.append(
            ngettext(
                "%(count)d connected session will be marked disconnected",
                "%(count)d connected sessions will be marked disconnected",
                connected,
            )
            % {"count": connected}
        )
    return lines


@admin.action(description=gettext_lazy("Delete from AWS"), permissions=["change"])
def delete_from_aws(
    modeladmin: ModelAdmin, request: HttpRequest, queryset: QuerySet[ApiGateway]
) -> TemplateResponse | None:
    """Confirmed on a page first, as deleting is; the records themselves stay."""
    if confirmed(request):
        for gateway in queryset:
            report(
                modeladmin,
                request,
                run(gateway, provisioning.delete_gateway),
                _("deleted from AWS; the record stays, ready to be created again"),
            )
        return None
    return confirmation_page(
        modeladmin,
        request,
        queryset,
        action="delete_from_aws",
        title=_("Delete from AWS"),
        intro=_("This removes from AWS, for each gateway:"),
        items=[
            (gateway, deletion_plan(gateway) or [_("nothing: not in AWS")], "")
            for gateway in queryset
        ],
        submit=_("Yes, delete from AWS"),
    )


ACTIONS = [create_api_gateway, create_custom_domain, sync_with_aws, delete_from_aws]


# Saving in the admin


def edited_for_aws(form: ModelForm[ApiGateway], formsets: Sequence[BaseFormSet[Any]]) -> bool:
    """Did this save change what AWS is built from (a synced field, an additional route)?"""
    return bool(SYNCED_FIELDS.intersection(form.changed_data)) or any(
        formset.has_changed() for formset in formsets
    )


def sync_after_edit(
    modeladmin: ModelAdmin,
    request: HttpRequest,
    form: ModelForm[ApiGateway],
    formsets: Sequence[BaseFormSet[Any]],
) -> None:
    """After the record and its routes are saved: a created gateway's API follows them."""
    gateway = form.instance
    if not gateway.api_created or not edited_for_aws(form, formsets):
        return
    outcome = run(gateway, provisioning.sync_gateway)
    if outcome.error:
        modeladmin.message_user(
            request,
            _(
                "%(name)s was saved, but AWS was not updated: %(error)s. Fix the cause and "
                'run the "Sync with AWS" action.'
            )
            % {"name": gateway.api_name, "error": outcome.error},
            messages.ERROR,
        )
        return
    report(
        modeladmin,
        request,
        outcome,
        _("AWS updated to match and redeployed"),
        _("AWS already matched the record; nothing changed."),
    )
