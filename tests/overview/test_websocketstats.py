"""manage.py websocketstats: the overview as text, and as JSON for scripts."""

from __future__ import annotations

import json
import re
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from django_aws_api_gateway_websockets.models import ApiGateway

from .conftest import Traffic

pytestmark = pytest.mark.django_db


def run(*args: str) -> str:
    out = StringIO()
    call_command("websocketstats", *args, stdout=out)
    return out.getvalue()


def test_text_names_every_figure(traffic: Traffic, gateway: ApiGateway) -> None:
    output = run()

    lines = output.splitlines()
    assert lines[0].startswith("WebSocket overview at ")
    assert lines[0].endswith("channel history: 0 message(s)")
    assert f"Test API (api id {gateway.api_id}, pk {gateway.pk})" in lines
    assert "  connections now    4" in lines
    assert "  connected users    2 (and 1 anonymous connection(s))" in lines
    assert "  stale              1 (still connected, opened over 2 h ago)" in lines
    assert "  last reconcile     never" in lines
    assert (
        "  top channels       chat (3 conn., 2 users), presence-room (2 conn., 2 users), "
        "news (1 conn., 0 users)"
    ) in lines
    assert "  presence channels  presence-room (2 users, 2 conn.)" in lines
    # One bar (the last or, past a five-minute boundary, the one before), then the total.
    assert re.search(r"^    opened  \| *█ *\|  4$", output, re.MULTILINE)
    assert re.search(r"^    closed  \| *▂ *\|  1$", output, re.MULTILINE)
    assert len(lines[lines.index("  connections now    4") + 7]) == len("    opened  ||  4") + 12
    assert "Other API (api id otherapi77, pk" in output


def test_json_for_scripts(traffic: Traffic, gateway: ApiGateway) -> None:
    data = json.loads(run("--json"))

    assert [g["api_id"] for g in data["gateways"]] == [gateway.api_id, "otherapi77"]
    mine = data["gateways"][0]
    assert (mine["connections"], mine["users"], mine["stale"]) == (4, 2, 1)
    assert mine["presence_channels"] == [{"name": "presence-room", "connections": 2, "users": 2}]
    assert sum(mine["activity"]["opened"]) == 4 and sum(mine["activity"]["closed"]) == 1
    assert mine["last_reconcile"] is None


def test_gateway_picks_one_by_api_id_or_pk(traffic: Traffic, other_gateway: ApiGateway) -> None:
    by_api_id = json.loads(run("--json", "--gateway", "otherapi77"))
    by_pk = json.loads(run("--json", "--gateway", str(other_gateway.pk)))

    assert [g["pk"] for g in by_api_id["gateways"]] == [other_gateway.pk]
    assert [g["pk"] for g in by_pk["gateways"]] == [other_gateway.pk]
    assert "Test API" not in run("--gateway", "otherapi77")


def test_an_unknown_gateway_is_a_command_error(gateway: ApiGateway) -> None:
    with pytest.raises(CommandError, match="matches no ApiGateway"):
        run("--gateway", "nosuchapi")


def test_no_gateway(db: None) -> None:
    assert run().splitlines()[-1] == "No gateway is registered."
