# Channel memberships (several channels per connection). The data step gives
# every connected session of an upgraded database a membership for the channel
# it joined at $connect, so that it is a member like a connection opened by
# version 5. Those memberships carry no presence info: 4.x had no presence.

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

APP = "django_aws_api_gateway_websockets"


def add_connect_channel_memberships(apps, schema_editor):
    session = apps.get_model(APP, "WebSocketSession")._meta
    membership = apps.get_model(APP, "ChannelMembership")._meta
    quote = schema_editor.connection.ops.quote_name

    def column(meta, name):
        return quote(meta.get_field(name).column)

    # One statement, whatever the number of rows: nothing is read into Python.
    sql = (
        f"INSERT INTO {quote(membership.db_table)} "
        f"({column(membership, 'session')}, {column(membership, 'channel_name')}, "
        f"{column(membership, 'user')}, {column(membership, 'joined_on')}) "
        f"SELECT {column(session, 'id')}, {column(session, 'channel_name')}, "
        f"{column(session, 'user')}, {column(session, 'created_on')} "
        f"FROM {quote(session.db_table)} "
        f"WHERE {column(session, 'connected')} = %s AND {column(session, 'channel_name')} <> %s"
    )
    schema_editor.execute(sql, [True, ""])


class Migration(migrations.Migration):
    dependencies = [
        (APP, "0018_version_5_schema"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="ChannelMembership",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("channel_name", models.CharField(max_length=100, verbose_name="channel")),
                (
                    "presence_info",
                    models.JSONField(blank=True, null=True, verbose_name="presence info"),
                ),
                ("joined_on", models.DateTimeField(auto_now_add=True)),
                (
                    "session",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="memberships",
                        to="django_aws_api_gateway_websockets.websocketsession",
                    ),
                ),
                (
                    "user",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="websocket_memberships",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
            options={
                "verbose_name": "channel membership",
                "indexes": [
                    models.Index(fields=["channel_name", "user"], name="dagw_membership_presence")
                ],
                "constraints": [
                    models.UniqueConstraint(
                        fields=("channel_name", "session"),
                        name="dagw_membership_channel_session",
                    )
                ],
            },
        ),
        migrations.RunPython(add_connect_channel_memberships, migrations.RunPython.noop),
    ]
