"""Records of the API Gateway WebSocket APIs this project serves."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from .. import aws, wire
from ..conf import conf
from .channel_name import validate_channel_name_characters


class IntegrationType(models.TextChoices):
    HTTP = "http", _("HTTP (HTTP_PROXY to a Django URL)")
    LAMBDA = "lambda", _("Lambda function (AWS_PROXY)")


class ConnectAuthorization(models.TextChoices):
    """Who API Gateway lets reach ``$connect`` (docs/authentication.md)."""

    NONE = "none", _("None (Django decides)")
    REQUEST = "request", _("Lambda REQUEST authorizer")
    IAM = "iam", _("AWS_IAM (SigV4-signed connect URL)")


def _validate_identity_sources(value: object) -> None:
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise ValidationError(_("A list of identity sources."))
    for source in value:
        try:
            wire.identity_source_value(source, {}, {})
        except ValueError as exc:
            raise ValidationError(str(exc)) from None


def _validate_context_keys(value: object) -> None:
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise ValidationError(_("A list of context keys."))
    for key in value:
        if not wire.is_valid_authorizer_key(key):
            raise ValidationError(
                _("%(key)r: lowercase letters, digits and _ only."), params={"key": key}
            )


class ProvisioningStatus(models.TextChoices):
    NOT_CREATED = "not_created", _("not created")
    IN_PROGRESS = "in_progress", _("in progress")
    READY = "ready", _("ready")
    FAILED = "failed", _("failed")


class ApiGateway(models.Model):
    api_name = models.CharField(_("API name"), max_length=128, unique=True)
    api_description = models.TextField(_("API description"), blank=True)
    default_channel_name = models.CharField(
        _("default channel name"),
        max_length=100,
        default="default",
        help_text=_("Channel a connection joins when it names none (?channel=...)."),
        validators=[validate_channel_name_characters],
    )
    domain_name = models.CharField(
        _("custom domain name"), max_length=253, blank=True, help_text=_("e.g. ws.example.com")
    )
    target_base_endpoint = models.URLField(
        _("target base endpoint"),
        max_length=500,
        help_text=_(
            "URL of the WebSocketView, ending in a slash: API Gateway posts to "
            "<endpoint>connect, <endpoint>disconnect and <endpoint>default."
        ),
    )
    certificate_arn = models.CharField(_("ACM certificate ARN"), max_length=2048, blank=True)
    hosted_zone_id = models.CharField(_("Route 53 hosted zone id"), max_length=32, blank=True)
    api_key_selection_expression = models.CharField(
        max_length=255, default="$request.header.x-api-key"
    )
    route_selection_expression = models.CharField(max_length=255, default="$request.body.action")
    route_key = models.CharField(
        max_length=128,
        default="action",
        help_text=_("Body key that names the route, as in the route selection expression."),
    )
    stage_name = models.CharField(
        max_length=128, blank=True, help_text=_("Blank means 'production'.")
    )
    stage_description = models.CharField(max_length=1024, blank=True)
    tags = models.JSONField(default=dict, blank=True)

    # Filled in by provisioning (or by runwebsocketgateway for the local gateway).
    api_id = models.CharField(_("API id"), max_length=64, blank=True, db_index=True)
    api_endpoint = models.CharField(
        _("API endpoint"),
        max_length=500,
        blank=True,
        help_text=_("wss://<api_id>.execute-api.<region>.amazonaws.com, or ws://host:port"),
    )
    api_gateway_domain_name = models.CharField(max_length=253, blank=True)
    api_mapping_id = models.CharField(max_length=64, blank=True)
    api_created = models.BooleanField(default=False)
    custom_domain_created = models.BooleanField(default=False)

    # How API Gateway reaches the application.
    integration_type = models.CharField(
        _("integration type"),
        max_length=16,
        choices=IntegrationType.choices,
        default=IntegrationType.HTTP,
    )
    lambda_function_arn = models.CharField(
        _("Lambda function ARN"),
        max_length=2048,
        blank=True,
        help_text=_("Required when the integration type is Lambda."),
    )
    integration_timeout_ms = models.PositiveIntegerField(
        _("integration timeout (ms)"),
        default=wire.INTEGRATION_TIMEOUT_MAX_MS,
        validators=[
            MinValueValidator(wire.INTEGRATION_TIMEOUT_MIN_MS),
            MaxValueValidator(wire.INTEGRATION_TIMEOUT_MAX_MS),
        ],
    )
    # $connect authorization, provisioned with the API.
    connect_authorization = models.CharField(
        _("$connect authorization"),
        max_length=16,
        choices=ConnectAuthorization.choices,
        default=ConnectAuthorization.NONE,
    )
    authorizer_function_arn = models.CharField(
        _("authorizer Lambda ARN"),
        max_length=2048,
        blank=True,
        help_text=_("The Lambda REQUEST authorizer's function."),
    )
    authorizer_identity_sources = models.JSONField(
        _("authorizer identity sources"),
        default=list,
        blank=True,
        validators=[_validate_identity_sources],
        help_text=_(
            'e.g. ["route.request.querystring.access_token"] or '
            '["route.request.header.Authorization"]: a connect without them gets 401.'
        ),
    )
    authorizer_context_keys = models.JSONField(
        _("authorizer context keys"),
        default=list,
        blank=True,
        validators=[_validate_context_keys],
        help_text=_(
            "Keys of the authorizer's context mapped into $connect's request "
            "(the view's authorizer_context)."
        ),
    )
    # Written by provisioning; shown in the admin.
    deployment_id = models.CharField(_("deployment id"), max_length=64, blank=True)
    provisioning_status = models.CharField(
        _("provisioning status"),
        max_length=16,
        choices=ProvisioningStatus.choices,
        default=ProvisioningStatus.NOT_CREATED,
        editable=False,
    )
    provisioning_error = models.TextField(_("last provisioning error"), blank=True, editable=False)
    provisioned_on = models.DateTimeField(
        _("last provisioned"), null=True, blank=True, editable=False
    )

    created_on = models.DateTimeField(auto_now_add=True)
    updated_on = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("API Gateway")
        verbose_name_plural = _("API Gateways")

    def __str__(self) -> str:
        return self.api_name

    @property
    def effective_stage_name(self) -> str:
        return aws.stage_or_default(self.stage_name)

    @property
    def client_url(self) -> str:
        """The URL browsers connect to: custom domain, else endpoint plus stage."""
        if self.domain_name and self.custom_domain_created:
            return f"wss://{self.domain_name}"
        if not self.api_endpoint:
            return ""
        return f"{self.api_endpoint.rstrip('/')}/{self.effective_stage_name}"

    @property
    def management_endpoint_url(self) -> str:
        """Where this gateway's ``@connections`` calls go (docs/aws-behaviour.md)."""
        return aws.management_endpoint_url(
            api_endpoint=self.api_endpoint,
            api_id=self.api_id,
            stage_name=self.stage_name,
            region=conf.AWS_GATEWAY_REGION_NAME,
        )

    def clean(self) -> None:
        super().clean()
        if self.integration_type == IntegrationType.LAMBDA and not self.lambda_function_arn:
            raise ValidationError(
                {"lambda_function_arn": _("A Lambda integration needs the function's ARN.")}
            )
        if (
            self.connect_authorization == ConnectAuthorization.REQUEST
            and not self.authorizer_function_arn
        ):
            raise ValidationError(
                {"authorizer_function_arn": _("A Lambda authorizer needs the function's ARN.")}
            )

    # AWS is only ever called explicitly (admin actions, management commands,
    # ``provisioning``'s functions): saving a record never provisions anything.

    # The 4.x entry points, kept as shims over ``provisioning``'s
    # functions of the same names (docs/provisioning.md). provisioning is built
    # on this model, so the model never imports it: the app's config hands it
    # over when a shim is called. ``adopt``: take over an API this app did not
    # create. Each returns provisioning's list of ``Change``.

    def create_gateway(
        self, progress: Callable[[str], None] | None = None, *, adopt: bool = False
    ) -> list[Any]:
        changes: list[Any] = self._provisioning().create_gateway(
            self, adopt=adopt, progress=progress
        )
        return changes

    def create_custom_domain(self, progress: Callable[[str], None] | None = None) -> list[Any]:
        changes: list[Any] = self._provisioning().create_custom_domain(self, progress=progress)
        return changes

    def sync_gateway(
        self,
        *,
        dry_run: bool = False,
        adopt: bool = False,
        progress: Callable[[str], None] | None = None,
    ) -> list[Any]:
        changes: list[Any] = self._provisioning().sync_gateway(
            self, dry_run=dry_run, adopt=adopt, progress=progress
        )
        return changes

    def delete_gateway(
        self, progress: Callable[[str], None] | None = None, *, adopt: bool = False
    ) -> list[Any]:
        changes: list[Any] = self._provisioning().delete_gateway(
            self, adopt=adopt, progress=progress
        )
        return changes

    def _provisioning(self) -> Any:
        config: Any = self._meta.app_config
        return config.provisioning()


class ApiGatewayAdditionalRoute(models.Model):
    api_gateway = models.ForeignKey(
        ApiGateway, on_delete=models.CASCADE, related_name="additional_routes"
    )
    name = models.CharField(max_length=128)
    route_key = models.CharField(
        max_length=128, help_text=_("Value of the route key in the message body, e.g. 'chat'.")
    )
    integration_url = models.URLField(max_length=500)

    class Meta:
        verbose_name = _("additional route")
        constraints = [
            models.UniqueConstraint(
                fields=["api_gateway", "route_key"], name="dagw_unique_route_key_per_gateway"
            )
        ]

    def __str__(self) -> str:
        return f"{self.api_gateway}: {self.route_key}"
