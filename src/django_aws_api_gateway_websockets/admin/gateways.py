"""ApiGateway records and their additional routes, editable."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.contrib import admin
from django.db import models
from django.forms import BaseFormSet, ModelForm
from django.http import HttpRequest
from django.utils.html import escape
from django.utils.translation import gettext_lazy as _

from .. import aws
from ..models import ApiGateway, ApiGatewayAdditionalRoute
from . import provisioning_actions

# Written by provisioning (or runwebsocketgateway), never by hand.
PROVISIONED_FIELDS = [
    "api_gateway_domain_name",
    "api_mapping_id",
    "deployment_id",
    "api_created",
    "custom_domain_created",
    "provisioning_status",
    "provisioning_error",
    "provisioned_on",
]
# Django 5.x forms assume http:// for a URL typed without a scheme; 6.0 https://.
URL_FIELDS: dict[type[models.Field[Any, Any]], dict[str, Any]] = {
    models.URLField: {"assume_scheme": "https"}
}
# Editable so that a record can point at a gateway made elsewhere, until
# provisioning has created it.
ENDPOINT_FIELDS = ["api_id", "api_endpoint"]


def escaped_help_texts(model: type[models.Model]) -> dict[str, str]:
    """The model's help texts as text: the admin renders them as HTML, which
    would eat placeholders such as ``<api_id>``. Read by editable fields and,
    through the form's ``Meta.help_texts``, by read-only ones."""
    return {field.name: escape(field.help_text) for field in model._meta.fields if field.help_text}


# ModelAdmin and TabularInline are generic only in django-stubs, not at runtime.
if TYPE_CHECKING:
    _RouteInline = admin.TabularInline[ApiGatewayAdditionalRoute, ApiGateway]
    _GatewayAdmin = admin.ModelAdmin[ApiGateway]
else:
    _RouteInline = admin.TabularInline
    _GatewayAdmin = admin.ModelAdmin


class ApiGatewayAdditionalRouteInline(_RouteInline):
    model = ApiGatewayAdditionalRoute
    fields = ["name", "route_key", "integration_url"]
    extra = 0
    formfield_overrides = URL_FIELDS


@admin.register(ApiGateway)
class ApiGatewayAdmin(_GatewayAdmin):
    list_display = [
        "api_name",
        "api_id",
        "client_url",
        "stage",
        "integration_type",
        "provisioning_status",
        "custom_domain_created",
        "updated_on",
    ]
    list_filter = [
        "provisioning_status",
        "api_created",
        "custom_domain_created",
        "integration_type",
    ]
    search_fields = ["api_name", "api_id", "domain_name", "target_base_endpoint"]
    inlines = [ApiGatewayAdditionalRouteInline]
    formfield_overrides = URL_FIELDS
    actions: list[Any] = [*provisioning_actions.ACTIONS]
    fieldsets = [
        (
            None,
            {
                "fields": [
                    "api_name",
                    "api_description",
                    "default_channel_name",
                ]
            },
        ),
        (
            _("Integration"),
            {
                "fields": [
                    "integration_type",
                    "target_base_endpoint",
                    "lambda_function_arn",
                    "integration_timeout_ms",
                ]
            },
        ),
        (
            _("Routing"),
            {
                "fields": [
                    "route_selection_expression",
                    "route_key",
                    "api_key_selection_expression",
                ]
            },
        ),
        (
            _("$connect authorization"),
            {
                "fields": [
                    "connect_authorization",
                    "authorizer_function_arn",
                    "authorizer_identity_sources",
                    "authorizer_context_keys",
                ]
            },
        ),
        (_("Stage"), {"fields": ["stage_name", "stage_description", "tags"]}),
        (
            _("Custom domain"),
            {"fields": ["domain_name", "certificate_arn", "hosted_zone_id"]},
        ),
        (
            _("Provisioned"),
            {
                "fields": [
                    *ENDPOINT_FIELDS,
                    *PROVISIONED_FIELDS,
                    "client_url",
                    "management_endpoint",
                    "created_on",
                    "updated_on",
                ]
            },
        ),
    ]

    def get_form(
        self,
        request: HttpRequest,
        obj: ApiGateway | None = None,
        change: bool = False,
        **kwargs: Any,
    ) -> Any:
        kwargs.setdefault("help_texts", escaped_help_texts(ApiGateway))
        return super().get_form(request, obj, change, **kwargs)

    def get_readonly_fields(self, request: HttpRequest, obj: ApiGateway | None = None) -> list[str]:
        readonly = [
            *PROVISIONED_FIELDS,
            "client_url",
            "management_endpoint",
            "created_on",
            "updated_on",
        ]
        if obj is not None and obj.api_created:
            readonly += ENDPOINT_FIELDS
        return readonly

    def save_related(
        self,
        request: HttpRequest,
        form: ModelForm[ApiGateway],
        formsets: list[BaseFormSet[Any]],
        change: bool,
    ) -> None:
        super().save_related(request, form, formsets, change)
        # After the inline routes are saved, so that the sync sees them.
        if change:
            provisioning_actions.sync_after_edit(self, request, form, formsets)

    @admin.display(description=_("stage"))
    def stage(self, gateway: ApiGateway) -> str:
        return gateway.effective_stage_name

    @admin.display(description=_("client URL"))
    def client_url(self, gateway: ApiGateway) -> str:
        return gateway.client_url

    @admin.display(description=_("Management API endpoint"))
    def management_endpoint(self, gateway: ApiGateway) -> str:
        try:
            return gateway.management_endpoint_url
        except aws.ConfigurationError as exc:
            return str(exc)
