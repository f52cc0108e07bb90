from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("django_aws_api_gateway_websockets", "0020_channel_history"),
    ]

    operations = [
        migrations.AddField(
            model_name="websocketsession",
            name="authorization_expires_on",
            field=models.DateTimeField(blank=True, editable=False, null=True),
        ),
    ]
