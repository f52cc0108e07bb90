import django.db.models.deletion
from django.db import migrations, models


def _text(length: int) -> models.CharField:
    return models.CharField(blank=True, default="", max_length=length)


class Migration(migrations.Migration):
    dependencies = [
        ("django_aws_api_gateway_websockets", "0002_rename_author_websocketsession_user")
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
                ("api_name", models.CharField(max_length=255, unique=True)),
                ("api_description", _text(255)),
                ("default_channel_name", _text(128)),
                ("domain_name", _text(255)),
                ("target_base_endpoint", models.URLField(blank=True, default=None, null=True)),
                ("certificate_arn", _text(255)),
                ("hosted_zone_id", _text(32)),
                (
                    "api_key_selection_expression",
                    models.CharField(default="$request.header.x-api-key", max_length=255),
                ),
                (
                    "route_selection_expression",
                    models.CharField(default="$request.body.action", max_length=255),
                ),
                ("route_key", models.CharField(default="$default", max_length=255)),
                ("stage_name", models.CharField(blank=True, default="production", max_length=63)),
                ("stage_description", _text(63)),
                ("tags", models.JSONField(blank=True, default=dict)),
                ("api_id", _text(32)),
                ("api_endpoint", _text(255)),
                ("api_gateway_domain_name", _text(255)),
                ("api_mapping_id", _text(128)),
                ("api_created", models.BooleanField(default=False, editable=False)),
                ("custom_domain_created", models.BooleanField(default=False, editable=False)),
                ("created_on", models.DateTimeField(auto_now_add=True)),
                ("updated_on", models.DateTimeField(auto_now=True)),
            ],
        ),
        migrations.AddIndex(
            model_name="apigateway",
            index=models.Index(fields=["api_id"], name="django_aws__api_id_0da7ec_idx"),
        ),
        migrations.AddIndex(
            model_name="apigateway",
            index=models.Index(fields=["domain_name"], name="django_aws__domain__3b4423_idx"),
        ),
        migrations.AddIndex(
            model_name="apigateway",
            index=models.Index(
                fields=["custom_domain_created"], name="django_aws__custom__5e8390_idx"
            ),
        ),
        migrations.AddIndex(
            model_name="apigateway",
            index=models.Index(fields=["api_created"], name="django_aws__api_cre_376add_idx"),
        ),
        migrations.AddIndex(
            model_name="apigateway",
            index=models.Index(fields=["created_on"], name="django_aws__created_32cf2a_idx"),
        ),
        migrations.AddField(
            model_name="websocketsession",
            name="api_gateway",
            field=models.ForeignKey(
                blank=True,
                default=None,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="sessions",
                to="django_aws_api_gateway_websockets.apigateway",
            ),
        ),
    ]
