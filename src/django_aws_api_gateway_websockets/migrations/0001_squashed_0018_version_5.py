# A fresh install's whole schema in one step. Databases made by 4.x run the
# migrations it replaces instead, which carry their rows to this schema.

import django.core.validators
import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    initial = True

    replaces = [
        ("django_aws_api_gateway_websockets", "0001_initial"),
        ("django_aws_api_gateway_websockets", "0002_rename_author_websocketsession_user"),
        ("django_aws_api_gateway_websockets", "0003_auto_20220706_1018"),
        ("django_aws_api_gateway_websockets", "0004_auto_20221208_1227"),
        ("django_aws_api_gateway_websockets", "0005_apigatewayadditionalroute_deployed"),
        ("django_aws_api_gateway_websockets", "0006_auto_20221215_0847"),
        ("django_aws_api_gateway_websockets", "0007_connectionratelimit_websockettoken"),
        (
            "django_aws_api_gateway_websockets",
            "0008_remove_websockettoken_websocket_t_created_c55db3_idx_and_more",
        ),
        ("django_aws_api_gateway_websockets", "0009_alter_connectionratelimit_table_and_more"),
        ("django_aws_api_gateway_websockets", "0010_hash_websockettoken_session_key"),
        ("django_aws_api_gateway_websockets", "0011_channelpermission_channelpermissionrule"),
        ("django_aws_api_gateway_websockets", "0012_apigateway_provisioning_status"),
        ("django_aws_api_gateway_websockets", "0013_apigatewayadditionalroute_aws_ids"),
        ("django_aws_api_gateway_websockets", "0014_websocketsession_auth_hash_and_more"),
        ("django_aws_api_gateway_websockets", "0015_alter_apigateway_provisioning_status"),
        ("django_aws_api_gateway_websockets", "0016_version_5_prepare"),
        ("django_aws_api_gateway_websockets", "0017_version_5_carry_data"),
        ("django_aws_api_gateway_websockets", "0018_version_5_schema"),
    ]

    dependencies = [
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="ApiGateway",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "api_name",
                    models.CharField(max_length=128, unique=True, verbose_name="API name"),
                ),
                ("api_description", models.TextField(blank=True, verbose_name="API description")),
                (
                    "default_channel_name",
                    models.CharField(
                        default="default",
                        help_text="Channel a connection joins when it names none (?channel=...).",
                        max_length=100,
                        verbose_name="default channel name",
                    ),
                ),
                (
                    "domain_name",
                    models.CharField(
                        blank=True,
                        help_text="e.g. ws.example.com",
                        max_length=253,
                        verbose_name="custom domain name",
                    ),
                ),
                (
                    "target_base_endpoint",
                    models.URLField(
                        help_text="URL of the WebSocketView, ending in a slash: API Gateway posts to <endpoint>connect, <endpoint>disconnect and <endpoint>default.",
                        max_length=500,
                        verbose_name="target base endpoint",
                    ),
                ),
                (
                    "certificate_arn",
                    models.CharField(
                        blank=True, max_length=2048, verbose_name="ACM certificate ARN"
                    ),
                ),
                (
                    "hosted_zone_id",
                    models.CharField(
                        blank=True, max_length=32, verbose_name="Route 53 hosted zone id"
                    ),
                ),
                (
                    "api_key_selection_expression",
                    models.CharField(default="$request.header.x-api-key", max_length=255),
                ),
                (
                    "route_selection_expression",
                    models.CharField(default="$request.body.action", max_length=255),
                ),
                (
                    "route_key",
                    models.CharField(
                        default="action",
                        help_text="Body key that names the route, as in the route selection expression.",
                        max_length=128,
                    ),
                ),
                (
                    "stage_name",
                    models.CharField(
                        blank=True, help_text="Blank means 'production'.", max_length=128
                    ),
                ),
                ("stage_description", models.CharField(blank=True, max_length=1024)),
                ("tags", models.JSONField(blank=True, default=dict)),
                (
                    "api_id",
                    models.CharField(
                        blank=True, db_index=True, max_length=64, verbose_name="API id"
                    ),
                ),
                (
                    "api_endpoint",
                    models.CharField(
                        blank=True,
                        help_text="wss://<api_id>.execute-api.<region>.amazonaws.com, or ws://host:port",
                        max_length=500,
                        verbose_name="API endpoint",
                    ),
                ),
                ("api_gateway_domain_name", models.CharField(blank=True, max_length=253)),
                ("api_mapping_id", models.CharField(blank=True, max_length=64)),
                ("api_created", models.BooleanField(default=False)),
                ("custom_domain_created", models.BooleanField(default=False)),
                (
                    "integration_type",
                    models.CharField(
                        choices=[
                            ("http", "HTTP (HTTP_PROXY to a Django URL)"),
                            ("lambda", "Lambda function (AWS_PROXY)"),
                        ],
                        default="http",
                        max_length=16,
                        verbose_name="integration type",
                    ),
                ),
                (
                    "lambda_function_arn",
                    models.CharField(
                        blank=True,
                        help_text="Required when the integration type is Lambda.",
                        max_length=2048,
                        verbose_name="Lambda function ARN",
                    ),
                ),
                (
                    "integration_timeout_ms",
                    models.PositiveIntegerField(
                        default=29000,
                        validators=[
                            django.core.validators.MinValueValidator(50),
                            django.core.validators.MaxValueValidator(29000),
                        ],
                        verbose_name="integration timeout (ms)",
                    ),
                ),
                (
                    "deployment_id",
                    models.CharField(blank=True, max_length=64, verbose_name="deployment id"),
                ),
                (
                    "provisioning_status",
                    models.CharField(
                        choices=[
                            ("not_created", "not created"),
                            ("in_progress", "in progress"),
                            ("ready", "ready"),
                            ("failed", "failed"),
                        ],
                        default="not_created",
                        editable=False,
                        max_length=16,
                        verbose_name="provisioning status",
                    ),
                ),
                (
                    "provisioning_error",
                    models.TextField(
                        blank=True, editable=False, verbose_name="last provisioning error"
                    ),
                ),
                (
                    "provisioned_on",
                    models.DateTimeField(
                        blank=True, editable=False, null=True, verbose_name="last provisioned"
                    ),
                ),
                ("created_on", models.DateTimeField(auto_now_add=True)),
                ("updated_on", models.DateTimeField(auto_now=True)),
            ],
            options={
                "verbose_name": "API Gateway",
                "verbose_name_plural": "API Gateways",
            },
        ),
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
            name="ApiGatewayAdditionalRoute",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("name", models.CharField(max_length=128)),
                (
                    "route_key",
                    models.CharField(
                        help_text="Value of the route key in the message body, e.g. 'chat'.",
                        max_length=128,
                    ),
                ),
                ("integration_url", models.URLField(max_length=500)),
                (
                    "api_gateway",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="additional_routes",
                        to="django_aws_api_gateway_websockets.apigateway",
                    ),
                ),
            ],
            options={
                "verbose_name": "additional route",
                "constraints": [
                    models.UniqueConstraint(
                        fields=("api_gateway", "route_key"),
                        name="dagw_unique_route_key_per_gateway",
                    )
                ],
            },
        ),
        migrations.CreateModel(
            name="WebSocketSession",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "connection_id",
                    models.CharField(max_length=128, unique=True, verbose_name="connection id"),
                ),
                ("channel_name", models.CharField(max_length=100, verbose_name="channel")),
                ("connected", models.BooleanField(default=True)),
                ("request_count", models.PositiveIntegerField(default=0)),
                (
                    "source_ip",
                    models.GenericIPAddressField(blank=True, null=True, verbose_name="source IP"),
                ),
                (
                    "django_session_hash",
                    models.CharField(blank=True, editable=False, max_length=64),
                ),
                ("session_auth_hash", models.CharField(blank=True, editable=False, max_length=128)),
                ("created_on", models.DateTimeField(auto_now_add=True)),
                ("updated_on", models.DateTimeField(auto_now=True)),
                (
                    "api_gateway",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="websocket_sessions",
                        to="django_aws_api_gateway_websockets.apigateway",
                    ),
                ),
                (
                    "user",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="websocket_sessions",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
            options={
                "verbose_name": "WebSocket session",
                "indexes": [
                    models.Index(fields=["channel_name", "connected"], name="dagw_session_channel"),
                    models.Index(fields=["api_gateway", "connected"], name="dagw_session_gateway"),
                    models.Index(fields=["user", "connected"], name="dagw_session_user"),
                    models.Index(
                        fields=["django_session_hash"], name="dagw_session_django_session"
                    ),
                    models.Index(fields=["connected", "updated_on"], name="dagw_session_activity"),
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
    ]
