from typing import Any

from django.db import migrations, models


def forget_tokens(apps: Any, schema_editor: Any) -> None:
    # From here on the column holds a hash; a raw key left in it would match
    # nothing and keep a login credential in the database. Tokens live for
    # about a minute, so none is worth keeping.
    token_model = apps.get_model("django_aws_api_gateway_websockets", "WebSocketToken")
    token_model.objects.using(schema_editor.connection.alias).all().delete()


class Migration(migrations.Migration):
    dependencies = [
        ("django_aws_api_gateway_websockets", "0009_alter_connectionratelimit_table_and_more")
    ]

    operations = [
        migrations.RunPython(forget_tokens, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="websockettoken",
            name="session_key",
            field=models.CharField(db_index=True, max_length=64),
        ),
    ]
