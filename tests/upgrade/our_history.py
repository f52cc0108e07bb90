"""Run by this project's environment on an empty database.

``python -m tests.upgrade.our_history history``: applies our own migrations
0001-0015 one by one (the squashed migration set aside), prints the schema
there, then continues to the last migration and prints it again.
``python -m tests.upgrade.our_history fresh``: ``manage.py migrate`` as a new
installation does, and prints the schema it makes.
"""

from __future__ import annotations

import io
import json
import os
import sys
from contextlib import redirect_stdout

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.upgrade.v5_settings")

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.db.migrations.executor import MigrationExecutor  # noqa: E402

from tests.upgrade.schema import APP, table_schema  # noqa: E402

LAST_4X = (APP, "0015_alter_apigateway_provisioning_status")


def migrate_through_history(target: tuple[str, str] | None = None) -> None:
    """Up to ``target``; without one, to the app's last migration."""
    executor = MigrationExecutor(connection)
    # As for a database 4.x began: the replaced migrations, not the squash.
    executor.loader.replace_migrations = False
    executor.loader.build_graph()
    # The squash is a leaf of its own in this graph; a database 4.x began never runs it.
    last = [node for node in executor.loader.graph.leaf_nodes(APP) if "squashed" not in node[1]]
    executor.migrate([target] if target else last)


def main() -> None:
    if sys.argv[1] == "history":
        migrate_through_history(LAST_4X)
        at_4x = table_schema(connection)
        migrate_through_history()
        result = {"at_0015": at_4x, "upgraded": table_schema(connection, with_names=False)}
    else:
        with redirect_stdout(io.StringIO()):
            call_command("migrate")
        result = {"fresh": table_schema(connection, with_names=False)}
    json.dump(result, sys.stdout)


if __name__ == "__main__":
    main()
