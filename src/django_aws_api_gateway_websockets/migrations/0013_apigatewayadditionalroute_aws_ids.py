from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("django_aws_api_gateway_websockets", "0012_apigateway_provisioning_status")]

    operations = [
        migrations.AddField(
            model_name="apigatewayadditionalroute",
            name="integration_id",
            field=models.CharField(blank=True, default="", editable=False, max_length=32),
        ),
        migrations.AddField(
            model_name="apigatewayadditionalroute",
            name="route_id",
            field=models.CharField(blank=True, default="", editable=False, max_length=32),
        ),
    ]
