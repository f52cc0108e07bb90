"""Run by the 4.1.0 environment: migrate a fresh database with 4.1.0 and fill it.

Prints JSON: every row of the app's tables as 4.1.0 left them, and what the
test needs to know to check the upgrade (session keys, users, expected hashes).
Rows are made through 4.1.0's own models and hash helpers, as its views do.
``--too-long-for-version-5`` adds values 4.x allows and version 5 cannot hold.
"""

from __future__ import annotations

import datetime
import json
import os
import sys
from typing import Any

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "v4_settings")

import django  # noqa: E402

django.setup()

from django.contrib.auth.models import Permission, User  # noqa: E402
from django.contrib.sessions.backends.db import SessionStore  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from schema import table_schema  # noqa: E402

from django_aws_api_gateway_websockets import models as v4  # noqa: E402

UTC = datetime.UTC


def at(day: int, hour: int = 12) -> datetime.datetime:
    return datetime.datetime(2026, 10, day, hour, 30, 15, tzinfo=UTC)


def login_session(user: User) -> str:
    store = SessionStore()
    store["_auth_user_id"] = str(user.pk)
    store.create()
    assert store.session_key is not None
    return store.session_key


def make_gateways() -> dict[str, v4.ApiGateway]:
    full = v4.ApiGateway(
        api_name="Chat API",
        api_description="Chat for the support team",
        default_channel_name="lobby",
        domain_name="ws.example.com",
        target_base_endpoint="https://app.example.com/ws/",
        certificate_arn="arn:aws:acm:eu-west-1:123456789012:certificate/abcd-1234",
        hosted_zone_id="Z0123456789ABC",
        api_key_selection_expression="$request.header.x-api-key",
        route_selection_expression="$request.body.action",
        route_key="$default",
        stage_name="live",
        stage_description="Live stage",
        tags={"team": "support", "env": "prod"},
    )
    full.save(push_to_aws=False)
    # What provisioning writes (not editable in 4.x), as after a complete run.
    v4.ApiGateway.objects.filter(pk=full.pk).update(
        api_id="abc123defg",
        api_endpoint="wss://abc123defg.execute-api.eu-west-1.amazonaws.com",
        api_gateway_domain_name="d-xyz987.execute-api.eu-west-1.amazonaws.com",
        api_mapping_id="map42",
        api_created=True,
        custom_domain_created=True,
        deployment_id="dep123",
        provisioning_status="mapped",
        last_error="",
        created_on=at(1),
        updated_on=at(2),
    )
    half = v4.ApiGateway(api_name="Half made", target_base_endpoint=None)
    half.save(push_to_aws=False)
    v4.ApiGateway.objects.filter(pk=half.pk).update(
        api_id="half000001", api_created=True, provisioning_status="routes_created"
    )
    broken = v4.ApiGateway(api_name="Broken", target_base_endpoint="https://app.example.com/b/")
    broken.save(push_to_aws=False)
    v4.ApiGateway.objects.filter(pk=broken.pk).update(
        provisioning_status="pending", last_error="AccessDeniedException: not allowed"
    )
    fresh = v4.ApiGateway(api_name="Fresh", target_base_endpoint="https://app.example.com/f/")
    fresh.save(push_to_aws=False)
    return {"full": full, "half": half, "broken": broken, "fresh": fresh}


def make_route(gateway: v4.ApiGateway) -> None:
    route = v4.ApiGatewayAdditionalRoute(
        api_gateway=gateway,
        name="Chat route",
        route_key="chat",
        integration_url="https://app.example.com/ws/chat",
    )
    route.save(push_to_aws=False)
    v4.ApiGatewayAdditionalRoute.objects.filter(pk=route.pk).update(
        deployed=True, integration_id="int777", route_id="rte777"
    )


def make_session(
    connection_id: str,
    *,
    gateway: v4.ApiGateway | None,
    channel: str,
    user: User | None,
    session_key: str | None,
    connected: bool,
    request_count: int,
    day: int,
) -> None:
    # As 4.1.0's $connect records a connection.
    session = v4.WebSocketSession.objects.create(
        connection_id=connection_id,
        channel_name=channel,
        user=user,
        api_gateway=gateway,
        session_key_hash=v4.hash_session_key(session_key) if session_key else "",
        auth_hash=v4.hash_user_auth(user) if user else "",
    )
    v4.WebSocketSession.objects.filter(pk=session.pk).update(
        connected=connected,
        request_count=request_count,
        created_on=at(day, 9),
        updated_on=at(day, 17),
    )


def rows(model: Any) -> list[dict[str, Any]]:
    return list(model.objects.order_by("pk").values())


def main() -> None:
    call_command("migrate", verbosity=0)
    users = {
        name: User.objects.create_user(name, password=f"{name}-password")
        for name in ("alice", "bob", "carol")
    }
    keys = {name: login_session(user) for name, user in users.items()}
    gateways = make_gateways()
    make_route(gateways["full"])
    full = gateways["full"]
    make_session(
        "aliceConn01=",
        gateway=full,
        channel="lobby",
        user=users["alice"],
        session_key=keys["alice"],
        connected=True,
        request_count=7,
        day=3,
    )
    make_session(
        "bobConn0002=",
        gateway=full,
        channel="room-2",
        user=users["bob"],
        session_key=keys["bob"],
        connected=False,
        request_count=3,
        day=4,
    )
    make_session(
        "anonConn003=",
        gateway=full,
        channel="lobby",
        user=None,
        session_key=None,
        connected=True,
        request_count=1,
        day=5,
    )
    make_session(
        "carolConn04=",
        gateway=full,
        channel="lobby",
        user=users["carol"],
        session_key=keys["carol"],
        connected=True,
        request_count=2,
        day=6,
    )
    make_session(
        "halfConn005=",
        gateway=gateways["half"],
        channel="",
        user=None,
        session_key=None,
        connected=False,
        request_count=1,
        day=7,
    )
    # Bob's Django session has expired and gone; Carol changed her password
    # after connecting, so 4.x would refuse her connection's next message.
    SessionStore(session_key=keys["bob"]).delete()
    users["carol"].set_password("carol-new-password")
    users["carol"].save()

    if "--too-long-for-version-5" in sys.argv:
        # 4.x accepts these; version 5's columns are shorter.
        v4.WebSocketSession.objects.create(connection_id="longChannel=", channel_name="c" * 120)
        v4.ApiGateway.objects.filter(pk=gateways["fresh"].pk).update(api_name="n" * 200)

    v4.WebSocketToken.generate_token(users["alice"], keys["alice"])
    v4.ConnectionRateLimit.record_attempt("203.0.113.9", users["alice"], successful=True)
    staff_room = v4.ChannelPermission.objects.create(
        channel_name="staff-room", access="permissions"
    )
    rule = v4.ChannelPermissionRule.objects.create(channel_permission=staff_room)
    rule.permissions.add(Permission.objects.get(codename="view_user"))

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT app, name FROM django_migrations WHERE app = %s ORDER BY id",
            [v4.__name__.split(".")[0]],
        )
        migrations = [name for _app, name in cursor.fetchall()]
    json.dump(
        {
            "migrations": migrations,
            "users": {name: user.pk for name, user in users.items()},
            "session_keys": keys,
            "gateways": rows(v4.ApiGateway),
            "routes": rows(v4.ApiGatewayAdditionalRoute),
            "sessions": rows(v4.WebSocketSession),
            "tokens": v4.WebSocketToken.objects.count(),
            "rate_limits": v4.ConnectionRateLimit.objects.count(),
            "channel_permissions": rows(v4.ChannelPermission),
            "schema": table_schema(connection),
        },
        sys.stdout,
        default=str,
    )


if __name__ == "__main__":
    main()
