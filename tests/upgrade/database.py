"""The database both projects of the upgrade test use, named by environment variables.

Read by the settings of the 4.1.0 project (run by the 4.1.0 environment) and
of the version 5 project, so it imports nothing but the standard library.
"""

from __future__ import annotations

import os

ENGINE_VARIABLE = "UPGRADE_DATABASE"  # "sqlite" or "postgres"
NAME_VARIABLE = "UPGRADE_DATABASE_NAME"  # a file path, or a PostgreSQL database name

# The same project before and after the upgrade: 4.x keyed its hashes with it.
SECRET_KEY = "upgrade-test-secret-key-not-for-production"


def databases() -> dict[str, dict[str, str]]:
    name = os.environ[NAME_VARIABLE]
    if os.environ[ENGINE_VARIABLE] == "postgres":
        return {
            "default": {
                "ENGINE": "django.db.backends.postgresql",
                "NAME": name,
                "USER": os.environ.get("PGUSER", "postgres"),
                "HOST": os.environ.get("PGHOST", "127.0.0.1"),
                "PORT": os.environ.get("PGPORT", "54329"),
            }
        }
    return {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": name}}
