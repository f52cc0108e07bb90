"""Run by this project's environment on the database 4.1.0 made.

``python -m tests.upgrade.migrate_and_use <json of the 4.x facts>``: runs our
``manage.py migrate``, then uses the upgraded rows through the real view (Django's test
client playing API Gateway, messages captured instead of sent), and prints JSON
of every row before and after that traffic for the test to check.
"""

from __future__ import annotations

import io
import json
import os
import sys
from contextlib import redirect_stdout
from typing import Any

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.upgrade.v5_settings")

import django  # noqa: E402

django.setup()

from django.contrib.auth import get_user_model, logout  # noqa: E402
from django.contrib.sessions.backends.db import SessionStore  # noqa: E402
from django.core.management import execute_from_command_line  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import RequestFactory  # noqa: E402

from django_aws_api_gateway_websockets.models import (  # noqa: E402
    ApiGateway,
    ApiGatewayAdditionalRoute,
    ChannelMembership,
    ConnectionRateLimit,
    WebSocketSession,
    WebSocketToken,
)
from django_aws_api_gateway_websockets.testing import (  # noqa: E402
    WebSocketTestClient,
    capture_messages,
)

APP = "django_aws_api_gateway_websockets"


def rows(model: Any) -> list[dict[str, Any]]:
    return list(model.objects.order_by("pk").values())


def snapshot() -> dict[str, Any]:
    tables = [t for t in connection.introspection.table_names() if t.startswith(APP)]
    with connection.cursor() as cursor:
        cursor.execute("SELECT name FROM django_migrations WHERE app = %s ORDER BY id", [APP])
        migrations = [name for (name,) in cursor.fetchall()]
        kept = {}
        for table in tables:
            if "channelpermission" in table:
                cursor.execute(f"SELECT COUNT(*) FROM {connection.ops.quote_name(table)}")
                kept[table] = cursor.fetchone()[0]
    users = get_user_model().objects.all()
    return {
        "migrations": migrations,
        "gateways": rows(ApiGateway),
        "routes": rows(ApiGatewayAdditionalRoute),
        "sessions": rows(WebSocketSession),
        "memberships": sorted(
            ChannelMembership.objects.values_list("session__connection_id", "channel_name")
        ),
        "tokens": WebSocketToken.objects.count(),
        "rate_limits": ConnectionRateLimit.objects.count(),
        # Row counts of the channel permission tables 4.x made (names may be
        # shortened by the database, so found by pattern).
        "channel_permission_tables": kept,
        "auth_hashes": {user.get_username(): user.get_session_auth_hash() for user in users},
    }


def response(result: Any) -> dict[str, Any]:
    return {"status": result.status_code, "body": result.content.decode()}


def use(facts: dict[str, Any]) -> dict[str, Any]:
    """Traffic through the upgraded rows: old connections message, a new one joins."""
    gateway = ApiGateway.objects.get(api_name="Chat API")
    ws = WebSocketTestClient("/ws/", api_id=gateway.api_id)
    used: dict[str, Any] = {}
    with capture_messages() as outbox:
        new_id, connected = ws.connect(channel="lobby")
        used["new_connection"] = {"id": new_id, **response(connected)}
        used["alice_whoami"] = response(ws.send("aliceConn01=", {"action": "whoami"}))
        used["alice_chat"] = response(ws.send("aliceConn01=", {"action": "chat", "text": "hello"}))
        used["chat_delivered_to"] = sorted(
            m.connection_id for m in outbox.messages if m.data == {"user": "alice", "text": "hello"}
        )
        used["new_chat"] = response(ws.send(new_id, {"action": "shout", "text": "hi"}))
        used["carol_whoami"] = response(ws.send("carolConn04=", {"action": "whoami"}))
        # Alice logs out of the Django session she connected from.
        request = RequestFactory().get("/")
        request.session = SessionStore(session_key=facts["session_keys"]["alice"])
        request.user = get_user_model().objects.get(username="alice")
        logout(request)
        used["closed"] = sorted(c.connection_id for c in outbox.closed)
    return used


def main() -> None:
    facts = json.loads(sys.argv[1])
    output = io.StringIO()
    # As `manage.py migrate` runs: a CommandError is printed, and the exit status is 1.
    with redirect_stdout(output):
        execute_from_command_line(["manage.py", "migrate"])
    after_migrate = snapshot()
    used = use(facts)
    json.dump(
        {
            "migrate_output": output.getvalue(),
            "after_migrate": after_migrate,
            "used": used,
            "after_use": snapshot(),
        },
        sys.stdout,
        default=str,
    )


if __name__ == "__main__":
    main()
