from django.db import migrations, models

# 4.x recorded how far creating the API had got, one step at a time.
STEPS = ["pending", "api_created", "routes_created", "deployed", "domain_created", "mapped"]


class Migration(migrations.Migration):
    dependencies = [
        ("django_aws_api_gateway_websockets", "0011_channelpermission_channelpermissionrule")
    ]

    operations = [
        migrations.AddField(
            model_name="apigateway",
            name="last_error",
            field=models.CharField(blank=True, default="", editable=False, max_length=255),
        ),
        migrations.AddField(
            model_name="apigateway",
            name="provisioning_status",
            field=models.CharField(
                choices=[(step, step.replace("_", " ")) for step in STEPS],
                default="pending",
                max_length=16,
            ),
        ),
    ]
