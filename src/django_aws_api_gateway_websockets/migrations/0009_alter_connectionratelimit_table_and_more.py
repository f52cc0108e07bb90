from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        (
            "django_aws_api_gateway_websockets",
            "0008_remove_websockettoken_websocket_t_created_c55db3_idx_and_more",
        )
    ]

    # The tables already have Django's default names (0008); this only drops
    # the explicit db_table from the model state.
    operations = [
        migrations.AlterModelTable(name="connectionratelimit", table=None),
        migrations.AlterModelTable(name="websockettoken", table=None),
    ]
