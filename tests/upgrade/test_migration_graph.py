"""The migration files: in step with the models, and one step for a fresh install."""

from __future__ import annotations

from io import StringIO
from pathlib import Path

from django.core.management import call_command
from django.db.migrations.loader import MigrationLoader

APP = "django_aws_api_gateway_websockets"
MIGRATIONS = Path(__file__).resolve().parents[2] / "src" / APP / "migrations"
SQUASHED = "0001_squashed_0018_version_5"
# Added after the squash: a fresh install runs them after it.
AFTER_SQUASH = [
    "0019_channel_membership",
    "0020_channel_history",
    "0021_default_channel_name_validator",
    "0022_inbound_limits_and_logouts",
    "0023_authorization",
    "0024_reconcile_run",
]


def test_models_need_no_new_migration(db: None) -> None:
    out = StringIO()
    call_command("makemigrations", APP, "--check", "--dry-run", stdout=out)
    assert "No changes detected" in out.getvalue()


def test_a_fresh_install_runs_the_squashed_migration_then_the_later_ones() -> None:
    loader = MigrationLoader(None)  # no connection: nothing applied yet
    leaf = loader.graph.leaf_nodes(APP)
    assert leaf == [(APP, AFTER_SQUASH[-1])]
    plan = [node for node in loader.graph.forwards_plan(leaf[0]) if node[0] == APP]
    assert plan == [(APP, SQUASHED), *((APP, name) for name in AFTER_SQUASH)]


def test_the_squashed_migration_replaces_every_other_file() -> None:
    loader = MigrationLoader(None, replace_migrations=False)
    files = sorted(
        p.stem for p in MIGRATIONS.glob("0*.py") if p.stem not in {SQUASHED, *AFTER_SQUASH}
    )
    replaced = loader.disk_migrations[(APP, SQUASHED)].replaces
    assert sorted(name for app, name in replaced if app == APP) == files
    assert len(files) == 18
