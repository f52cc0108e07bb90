from django.db import migrations, models

import django_aws_api_gateway_websockets.models.gateway


class Migration(migrations.Migration):
    dependencies = [
        ("django_aws_api_gateway_websockets", "0022_inbound_limits_and_logouts"),
    ]

    operations = [
        migrations.AddField(
            model_name="websocketsession",
            name="authorization_expires_on",
            field=models.DateTimeField(blank=True, editable=False, null=True),
        ),
        migrations.AddField(
            model_name="apigateway",
            name="connect_authorization",
            field=models.CharField(
                choices=[
                    ("none", "None (Django decides)"),
                    ("request", "Lambda REQUEST authorizer"),
                    ("iam", "AWS_IAM (SigV4-signed connect URL)"),
                ],
                default="none",
                max_length=16,
                verbose_name="$connect authorization",
            ),
        ),
        migrations.AddField(
            model_name="apigateway",
            name="authorizer_function_arn",
            field=models.CharField(
                blank=True,
                help_text="The Lambda REQUEST authorizer's function.",
                max_length=2048,
                verbose_name="authorizer Lambda ARN",
            ),
        ),
        migrations.AddField(
            model_name="apigateway",
            name="authorizer_identity_sources",
            field=models.JSONField(
                blank=True,
                default=list,
                help_text='e.g. ["route.request.querystring.access_token"] or '
                '["route.request.header.Authorization"]: a connect without them gets 401.',
                validators=[
                    django_aws_api_gateway_websockets.models.gateway._validate_identity_sources
                ],
                verbose_name="authorizer identity sources",
            ),
        ),
        migrations.AddField(
            model_name="apigateway",
            name="authorizer_context_keys",
            field=models.JSONField(
                blank=True,
                default=list,
                help_text="Keys of the authorizer's context mapped into $connect's request "
                "(the view's authorizer_context).",
                validators=[
                    django_aws_api_gateway_websockets.models.gateway._validate_context_keys
                ],
                verbose_name="authorizer context keys",
            ),
        ),
    ]
