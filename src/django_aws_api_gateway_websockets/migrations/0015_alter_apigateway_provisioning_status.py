from django.db import migrations, models

# 4.1.0 added a step before the API exists; the column is unchanged.
STEPS = [
    "pending",
    "creating",
    "api_created",
    "routes_created",
    "deployed",
    "domain_created",
    "mapped",
]


class Migration(migrations.Migration):
    dependencies = [
        ("django_aws_api_gateway_websockets", "0014_websocketsession_auth_hash_and_more")
    ]

    operations = [
        migrations.AlterField(
            model_name="apigateway",
            name="provisioning_status",
            field=models.CharField(
                choices=[(step, step.replace("_", " ")) for step in STEPS],
                default="pending",
                max_length=16,
            ),
        ),
    ]
