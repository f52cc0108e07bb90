# From the version 4 schema to version 5, step 1 of 3: refuse data that would
# not fit, replace the short-lived tables, add the new columns.

from typing import Any

import django.core.validators
import django.db.models.deletion
from django.conf import settings
from django.core.management.base import CommandError
from django.db import migrations, models
from django.db.models.functions import Length

APP = "django_aws_api_gateway_websockets"

# (model, field, longest value version 5 stores) where 4.x allowed longer.
NARROWED_TEXT = [
    ("ApiGateway", "api_name", 128),
    ("ApiGateway", "default_channel_name", 100),
    ("ApiGateway", "domain_name", 253),
    ("ApiGateway", "route_key", 128),
    ("ApiGateway", "api_gateway_domain_name", 253),
    ("ApiGateway", "api_mapping_id", 64),
    ("WebSocketSession", "connection_id", 128),
    ("WebSocketSession", "channel_name", 100),
]
# request_count becomes a 32-bit PositiveIntegerField.
LARGEST_REQUEST_COUNT = 2_147_483_647


def refuse_what_does_not_fit(apps: Any, schema_editor: Any) -> None:
    """Stop before changing anything if a value would be cut short or rejected.

    PostgreSQL would refuse to narrow the column with a bare "value too long",
    SQLite would keep the long value in a column that says otherwise: both are
    worse than being told which rows to fix.
    """
    alias = schema_editor.connection.alias
    problems = []
    for model_name, field, longest in NARROWED_TEXT:
        manager = apps.get_model(APP, model_name).objects.using(alias)
        too_long = manager.annotate(length=Length(field)).filter(length__gt=longest)
        pks = list(too_long.values_list("pk", flat=True)[:20])
        if pks:
            problems.append(f"{model_name}.{field} longer than {longest} characters (pk {pks})")
    sessions = apps.get_model(APP, "WebSocketSession").objects.using(alias)
    pks = list(
        sessions.filter(request_count__gt=LARGEST_REQUEST_COUNT).values_list("pk", flat=True)[:20]
    )
    if pks:
        problems.append(f"WebSocketSession.request_count above {LARGEST_REQUEST_COUNT} (pk {pks})")
    if problems:
        raise CommandError(
            "Cannot upgrade the django_aws_api_gateway_websockets tables to version 5 without "
            "losing data: " + "; ".join(problems) + ". Shorten these values (or delete "
            "disconnected sessions with clearWebSocketSessions) and run migrate again. "
            "Nothing was changed."
        )


class Migration(migrations.Migration):
    dependencies = [
        (APP, "0015_alter_apigateway_provisioning_status"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RunPython(refuse_what_does_not_fit, migrations.RunPython.noop),
        # Tokens live a minute and rate-limit rows a few minutes; version 5
        # stores both differently, so they are dropped, not converted.
        migrations.DeleteModel(name="WebSocketToken"),
        migrations.DeleteModel(name="ConnectionRateLimit"),
        migrations.CreateModel(
            name="ConnectionRateLimit",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("key", models.CharField(max_length=255)),
                ("window_start", models.DateTimeField()),
                ("attempts", models.PositiveIntegerField(default=0)),
            ],
            options={
                "verbose_name": "connection rate limit",
                "indexes": [models.Index(fields=["window_start"], name="dagw_rate_window_start")],
                "constraints": [
                    models.UniqueConstraint(
                        fields=("key", "window_start"), name="dagw_unique_rate_window"
                    )
                ],
            },
        ),
        migrations.CreateModel(
            name="WebSocketToken",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("token_hash", models.CharField(editable=False, max_length=64, unique=True)),
                ("django_session_hash", models.CharField(editable=False, max_length=64)),
                ("created_on", models.DateTimeField(auto_now_add=True)),
                ("used_on", models.DateTimeField(blank=True, null=True)),
                (
                    "user",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="websocket_tokens",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
            options={
                "verbose_name": "WebSocket token",
                "indexes": [
                    models.Index(fields=["created_on"], name="dagw_token_created"),
                    models.Index(fields=["django_session_hash"], name="dagw_token_django_session"),
                ],
            },
        ),
        # Version 5 has no channel permission models (views decide in
        # can_join_channel). Their tables and rows stay in the database for the
        # project to port its rules from; docs/upgrading.md says how to drop them.
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.DeleteModel(name="ChannelPermissionRule"),
                migrations.DeleteModel(name="ChannelPermission"),
            ]
        ),
        migrations.AddField(
            model_name="apigateway",
            name="integration_type",
            field=models.CharField(
                choices=[
                    ("http", "HTTP (HTTP_PROXY to a Django URL)"),
                    ("lambda", "Lambda function (AWS_PROXY)"),
                ],
                default="http",
                max_length=16,
                verbose_name="integration type",
            ),
        ),
        migrations.AddField(
            model_name="apigateway",
            name="lambda_function_arn",
            field=models.CharField(
                blank=True,
                help_text="Required when the integration type is Lambda.",
                max_length=2048,
                verbose_name="Lambda function ARN",
            ),
        ),
        migrations.AddField(
            model_name="apigateway",
            name="integration_timeout_ms",
            field=models.PositiveIntegerField(
                default=29000,
                validators=[
                    django.core.validators.MinValueValidator(50),
                    django.core.validators.MaxValueValidator(29000),
                ],
                verbose_name="integration timeout (ms)",
            ),
        ),
        migrations.AddField(
            model_name="apigateway",
            name="provisioning_error",
            field=models.TextField(
                blank=True, editable=False, verbose_name="last provisioning error"
            ),
        ),
        migrations.AddField(
            model_name="apigateway",
            name="provisioned_on",
            field=models.DateTimeField(
                blank=True, editable=False, null=True, verbose_name="last provisioned"
            ),
        ),
        migrations.AddField(
            model_name="websocketsession",
            name="source_ip",
            field=models.GenericIPAddressField(blank=True, null=True, verbose_name="source IP"),
        ),
        migrations.RenameField(
            model_name="websocketsession",
            old_name="session_key_hash",
            new_name="django_session_hash",
        ),
        migrations.RenameField(
            model_name="websocketsession", old_name="auth_hash", new_name="session_auth_hash"
        ),
    ]
