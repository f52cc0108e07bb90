"""Operations the migrations of this package share. The loader skips ``_`` modules."""

from typing import Any

from django.db import migrations


class RemoveIndexIfPresent(migrations.RemoveIndex):
    """Drop an index only where the database has it.

    Some 4.x databases were created while a release still built these indexes
    and some after it stopped; both continue from the same migration.
    """

    def database_forwards(
        self, app_label: str, schema_editor: Any, from_state: Any, to_state: Any
    ) -> None:
        model = from_state.apps.get_model(app_label, self.model_name)
        connection = schema_editor.connection
        with connection.cursor() as cursor:
            present = connection.introspection.get_constraints(cursor, model._meta.db_table)
        if self.name in present:
            schema_editor.execute(
                schema_editor.sql_delete_index
                % {
                    "table": schema_editor.quote_name(model._meta.db_table),
                    "name": schema_editor.quote_name(self.name),
                }
            )

    def database_backwards(
        self, app_label: str, schema_editor: Any, from_state: Any, to_state: Any
    ) -> None:
        # The index may never have existed; going back does not invent it.
        pass
