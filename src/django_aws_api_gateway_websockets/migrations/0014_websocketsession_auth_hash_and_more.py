from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("django_aws_api_gateway_websockets", "0013_apigatewayadditionalroute_aws_ids")]

    # Keyed hashes (HMAC with SECRET_KEY) of the user's session auth hash and of
    # the Django session key the connection was opened from.
    operations = [
        migrations.AddField(
            model_name="websocketsession",
            name="auth_hash",
            field=models.CharField(blank=True, default="", max_length=64),
        ),
        migrations.AddField(
            model_name="websocketsession",
            name="session_key_hash",
            field=models.CharField(blank=True, db_index=True, default="", max_length=64),
        ),
    ]
