"""The schema of the app's tables as Django's introspection sees it, as JSON-ready lists.

Imported by the 4.1.0 project (as ``schema``) and by ours (``tests.upgrade.schema``),
so it needs nothing but Django.
"""

from __future__ import annotations

from typing import Any

APP = "django_aws_api_gateway_websockets"


def table_schema(connection: Any, *, with_names: bool = True) -> dict[str, Any]:
    """Columns (name, type, size, null) and constraints of every table of the app.

    ``with_names=False`` leaves out constraint names: Django names an index
    after the table and column it was made for, and RenameField does not
    rename it, so two routes to the same schema can differ in names only.
    """
    introspection = connection.introspection
    schema: dict[str, Any] = {}
    with connection.cursor() as cursor:
        for table in sorted(introspection.table_names(cursor)):
            if not table.startswith(APP):
                continue
            columns = sorted(
                [c.name, str(c.type_code), c.display_size, c.internal_size, c.null_ok]
                for c in introspection.get_table_description(cursor, table)
            )
            constraints = sorted(
                [
                    name if with_names else "",
                    list(c["columns"]),
                    bool(c["primary_key"]),
                    bool(c["unique"]),
                    bool(c["index"]),
                    bool(c["check"]),
                    list(c["foreign_key"] or []),
                ]
                for name, c in introspection.get_constraints(cursor, table).items()
            )
            schema[table] = {"columns": columns, "constraints": constraints}
    return schema
