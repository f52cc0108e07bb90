"""A database made by django-aws-api-gateway-websockets 4.1.0 (from PyPI) upgrades in place."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from .steps import (
    applied_migrations,
    build_v4_database,
    migrate_with_v5,
    our_history,
    parsed,
)

APP = "django_aws_api_gateway_websockets"
MIGRATIONS = Path(__file__).resolve().parents[2] / "src" / APP / "migrations"
VERSION_5_STEPS = [
    "0016_version_5_prepare",
    "0017_version_5_carry_data",
    "0018_version_5_schema",
    "0019_channel_membership",
    "0020_channel_history",
    "0021_default_channel_name_validator",
    "0022_inbound_limits_and_logouts",
    "0023_authorization",
    "0024_reconcile_run",
]
SQUASHED = "0001_squashed_0018_version_5"

# 4.x columns that version 5 keeps under the same name with the same value.
GATEWAY_FIELDS_KEPT = [
    "id",
    "api_name",
    "api_description",
    "default_channel_name",
    "domain_name",
    "certificate_arn",
    "hosted_zone_id",
    "api_key_selection_expression",
    "route_selection_expression",
    "route_key",
    "stage_name",
    "stage_description",
    "tags",
    "api_id",
    "api_endpoint",
    "api_gateway_domain_name",
    "api_mapping_id",
    "api_created",
    "custom_domain_created",
    "deployment_id",
    "created_on",
    "updated_on",
]
ROUTE_FIELDS_KEPT = ["id", "api_gateway_id", "name", "route_key", "integration_url"]
SESSION_FIELDS_KEPT = [
    "id",
    "connection_id",
    "channel_name",
    "user_id",
    "api_gateway_id",
    "connected",
    "request_count",
    "created_on",
    "updated_on",
]


def by_name(rows: list[dict[str, Any]], key: str) -> dict[str, dict[str, Any]]:
    return {row[key]: row for row in rows}


def sha256_hex(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def test_4_1_0_history_has_our_names(before: Any) -> None:
    ours = sorted(path.stem for path in MIGRATIONS.glob("0*.py") if path.stem != SQUASHED)
    assert before["migrations"] == ours[:15]
    assert ours[15:] == VERSION_5_STEPS


def test_migrate_runs_only_the_version_5_steps(after: Any) -> None:
    applied = [line for line in after["migrate_output"].splitlines() if f"Applying {APP}." in line]
    assert [line.split(".")[1].split("...")[0] for line in applied] == VERSION_5_STEPS
    assert all(line.endswith("OK") for line in applied)
    # Every replaced migration has run, so Django records the squashed one too.
    assert after["after_migrate"]["migrations"][-1] == SQUASHED


def test_gateways_keep_every_field(before: Any, after: Any) -> None:
    old = by_name(before["gateways"], "api_name")
    new = by_name(after["after_migrate"]["gateways"], "api_name")
    assert new.keys() == old.keys()
    for name, row in old.items():
        assert {f: new[name][f] for f in GATEWAY_FIELDS_KEPT} == {
            f: row[f] for f in GATEWAY_FIELDS_KEPT
        }
        assert new[name]["target_base_endpoint"] == (row["target_base_endpoint"] or "")
        assert new[name]["integration_type"] == "http"
        assert new[name]["provisioned_on"] is None


def test_gateway_provisioning_progress_becomes_a_status(after: Any) -> None:
    gateways = by_name(after["after_migrate"]["gateways"], "api_name")
    status = {
        name: (row["provisioning_status"], row["provisioning_error"])
        for name, row in gateways.items()
    }
    assert status["Chat API"] == ("ready", "")
    assert status["Fresh"] == ("not_created", "")
    assert status["Broken"] == ("failed", "AccessDeniedException: not allowed")
    half_status, half_error = status["Half made"]
    assert half_status == "failed"
    assert "'routes_created'" in half_error
    assert f"createApiGateway --pk={gateways['Half made']['id']} --adopt" in half_error


def test_additional_routes_are_kept(before: Any, after: Any) -> None:
    old, new = before["routes"], after["after_migrate"]["routes"]
    assert len(old) == len(new) == 1
    assert {f: new[0][f] for f in ROUTE_FIELDS_KEPT} == {f: old[0][f] for f in ROUTE_FIELDS_KEPT}


def test_sessions_keep_every_field(before: Any, after: Any) -> None:
    old = by_name(before["sessions"], "connection_id")
    new = by_name(after["after_migrate"]["sessions"], "connection_id")
    assert new.keys() == old.keys()
    for connection_id, row in old.items():
        assert {f: new[connection_id][f] for f in SESSION_FIELDS_KEPT} == {
            f: row[f] for f in SESSION_FIELDS_KEPT
        }
        assert new[connection_id]["source_ip"] is None


def test_session_hashes_are_derived_where_possible(before: Any, after: Any) -> None:
    keys = before["session_keys"]
    auth = after["after_migrate"]["auth_hashes"]
    old = by_name(before["sessions"], "connection_id")
    new = by_name(after["after_migrate"]["sessions"], "connection_id")
    hashes = {
        cid: (row["django_session_hash"], row["session_auth_hash"]) for cid, row in new.items()
    }
    assert hashes["aliceConn01="] == (sha256_hex(keys["alice"]), auth["alice"])
    # Bob's Django session is gone: nothing to derive it from, nothing to log out of.
    assert hashes["bobConn0002="] == ("", auth["bob"])
    assert hashes["anonConn003="] == ("", "")
    assert hashes["halfConn005="] == ("", "")
    # Carol's password changed after she connected: her 4.x hash matches no
    # current one, so the connection stays refused, as in 4.x.
    assert hashes["carolConn04="] == (sha256_hex(keys["carol"]), old["carolConn04="]["auth_hash"])
    assert hashes["carolConn04="][1] != auth["carol"]


def test_tokens_and_rate_limits_are_dropped(before: Any, after: Any) -> None:
    assert (before["tokens"], before["rate_limits"]) == (1, 1)
    assert (after["after_migrate"]["tokens"], after["after_migrate"]["rate_limits"]) == (0, 0)


def test_channel_permission_tables_are_left_for_the_project(before: Any, after: Any) -> None:
    assert [row["channel_name"] for row in before["channel_permissions"]] == ["staff-room"]
    # The rule, the permission it lists, the channel: each table keeps its row.
    kept = after["after_migrate"]["channel_permission_tables"]
    assert sorted(kept.values()) == [1, 1, 1]
    assert f"{APP}_channelpermission" in kept


def test_connected_sessions_become_members_of_their_channel(before: Any, after: Any) -> None:
    expected = sorted(
        [row["connection_id"], row["channel_name"]]
        for row in before["sessions"]
        if row["connected"] and row["channel_name"]
    )
    assert expected
    assert after["after_migrate"]["memberships"] == expected


def test_upgraded_connections_serve_messages(after: Any) -> None:
    used = after["used"]
    assert used["new_connection"]["status"] == 200
    assert used["alice_whoami"]["status"] == 200
    assert '"user": "alice"' in used["alice_whoami"]["body"]
    assert '"channel": "lobby"' in used["alice_whoami"]["body"]
    assert used["alice_chat"]["status"] == 200
    # Every connected session of the channel, old and new; Bob's was disconnected.
    assert used["chat_delivered_to"] == sorted(
        ["aliceConn01=", "anonConn003=", "carolConn04=", used["new_connection"]["id"]]
    )
    assert used["new_chat"]["status"] == 200
    assert '"shout": "HI"' in used["new_chat"]["body"]


def test_4x_login_checks_still_hold_after_the_upgrade(after: Any) -> None:
    used = after["used"]
    assert used["carol_whoami"]["status"] == 401
    # Logging out of the Django session Alice connected from under 4.x closes it.
    assert used["closed"] == ["aliceConn01=", "carolConn04="]
    sessions = by_name(after["after_use"]["sessions"], "connection_id")
    assert not sessions["aliceConn01="]["connected"]
    assert not sessions["carolConn04="]["connected"]
    assert sessions["aliceConn01="]["request_count"] == 9
    assert sessions["anonConn003="]["connected"]


def test_values_that_do_not_fit_stop_the_upgrade_before_any_change(
    new_database: Callable[[str], dict[str, str]],
) -> None:
    database = new_database("too_long")
    facts = parsed(build_v4_database(database, "--too-long-for-version-5"))
    result = migrate_with_v5(database, facts)
    assert result.returncode != 0
    error = result.stderr.strip().splitlines()[-1]
    assert error.startswith("CommandError: Cannot upgrade the django_aws_api_gateway_websockets")
    assert "ApiGateway.api_name longer than 128 characters (pk [4])" in error
    assert "WebSocketSession.channel_name longer than 100 characters (pk [6])" in error
    assert "Nothing was changed." in error
    assert applied_migrations(database) == facts["migrations"]


@pytest.fixture(scope="module")
def history(new_database: Callable[[str], dict[str, str]]) -> Any:
    """Schemas made by our own migrations 0001-0015, then on to the last one."""
    return parsed(our_history(new_database("our_history"), "history"))


def test_our_0001_to_0015_make_the_schema_4_1_0_makes(before: Any, history: Any) -> None:
    assert history["at_0015"] == before["schema"]


def test_the_upgraded_schema_is_the_fresh_install_schema(
    history: Any, new_database: Callable[[str], dict[str, str]]
) -> None:
    upgraded = history["upgraded"]
    fresh = parsed(our_history(new_database("fresh"), "fresh"))["fresh"]
    # Left for the project to port its rules from (docs/upgrading.md).
    leftover = sorted(table for table in upgraded if "channelpermission" in table)
    assert len(leftover) == 3
    assert {t: s for t, s in upgraded.items() if t not in leftover} == fresh
