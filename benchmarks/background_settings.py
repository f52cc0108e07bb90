"""benchmarks/background.py: the test settings on a SQLite file that workers share, with
django-tasks-db as the Tasks backend."""

import os

from tests.settings import *  # noqa: F403
from tests.settings import INSTALLED_APPS

INSTALLED_APPS = [*INSTALLED_APPS, "django_tasks_db"]
DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": os.environ["BENCH_DATABASE"],
        # Workers and this process write to one file: wait for a lock, don't fail.
        "OPTIONS": {"timeout": 30},
    }
}
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
