"""The pieces of $connect that are not decisions: who, from where, and the row."""

from __future__ import annotations

import ipaddress
from collections.abc import MutableMapping
from datetime import datetime
from importlib import import_module
from typing import Any, Self, cast

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.db import IntegrityError, connections, router
from django.db.models import Field
from django.http import HttpRequest, QueryDict
from django.utils import timezone

from .. import wire
from ..exceptions import Refused
from ..gateway_auth import Gateway, clear_gateway_cache
from ..models import WebSocketSession
from .responses import logger

# Columns a repeated $connect for the same connection id overwrites.
_UPSERT_FIELDS = [
    "channel_name",
    "user",
    "api_gateway",
    "source_ip",
    "django_session_hash",
    "session_auth_hash",
    "authorization_expires_on",
    "connected",
    "updated_on",
]
# Set on the first $connect only (a repeated $connect keeps its inbound bucket).
_INSERT_ONLY_FIELDS = [
    "connection_id",
    "request_count",
    "message_tokens",
    "message_tokens_at",
    "created_on",
]


def client_ip(request: HttpRequest) -> str:
    """The client's address, as the gateway saw it.

    Our integrations map ``context.identity.sourceIp`` into ``X-Ws-Source-Ip``,
    which only the gateway can set. Without it (a gateway provisioned before
    that mapping existed), the first ``X-Forwarded-For`` entry.
    """
    value = request.headers.get(wire.SOURCE_IP_HEADER)
    if value is None:
        value = request.headers.get(wire.FORWARDED_FOR_HEADER, "").split(",", 1)[0]
    try:
        address = ipaddress.ip_address(value.strip())
    except ValueError:
        raise Refused("Invalid client address.", reason=f"client address {value[:80]!r}") from None
    # A zone index ("fe80::1%eth0") is meaningless here and not storable as inet.
    if isinstance(address, ipaddress.IPv6Address) and address.scope_id:
        raise Refused("Invalid client address.", reason="scoped IPv6 address")
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        address = address.ipv4_mapped
    return str(address)


# Longer than any session key Django's engines make (signed_cookies included):
# a browser refuses cookies over 4096 bytes anyway.
MAX_SESSION_KEY_LENGTH = 4096


def is_plausible_session_key(key: str) -> bool:
    """Printable ASCII with no space: what every Django session engine hands out.

    Anything else (NUL, control or non-ASCII characters that a quoted cookie
    can smuggle in) cannot name a session, and some databases refuse it in a
    query (PostgreSQL: "text fields cannot contain NUL") with a 500.
    """
    return len(key) <= MAX_SESSION_KEY_LENGTH and all("!" <= char <= "~" for char in key)


def drop_hostile_session_cookie(request: HttpRequest) -> None:
    """Treat a session cookie that cannot be a session key as no session at all.

    Replaces the lazy session and user before anything looks them up, so no
    later code (handlers, signal receivers) queries with the hostile key.
    """
    key = request.COOKIES.get(settings.SESSION_COOKIE_NAME)
    if key is None or is_plausible_session_key(key) or not hasattr(request, "session"):
        return
    logger.warning(
        "Ignored a malformed %s cookie on %s (%d characters): anonymous",
        settings.SESSION_COOKIE_NAME,
        request.path,
        len(key),
    )
    engine = import_module(settings.SESSION_ENGINE)
    request.session = engine.SessionStore(None)
    request.user = AnonymousUser()


def cookie_user(request: HttpRequest) -> Any:
    """The user Django's auth middleware found from the handshake's cookies, if any."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return None
    return user


class _PrimaryChannelQuery(QueryDict):
    """``request.GET`` whose ``["channel"]`` and ``.get("channel")`` give the primary channel.

    A ``QueryDict`` answers the *last* of repeated values; the connection's
    channel is the *first* ``?channel=``. Hooks written for 4.x read
    ``request.GET.get("channel")``: they must authorize the channel the
    connection gets. ``getlist`` still gives every value, in order.
    """

    primary: str | None = None

    def __getitem__(self, key: str) -> Any:
        if key == wire.CHANNEL_PARAM and self.primary is not None:
            return self.primary
        return super().__getitem__(key)

    def __deepcopy__(self, memo: MutableMapping[int, Any]) -> Self:
        copied = super().__deepcopy__(memo)  # so request.GET.copy() keeps it too
        copied.primary = self.primary
        return copied


def show_primary_channel(request: HttpRequest, channel: str) -> None:
    """Make ``request.GET`` name ``channel``, the primary one, when ``?channel=`` was given."""
    if not request.GET.getlist(wire.CHANNEL_PARAM):
        return
    query = _PrimaryChannelQuery(mutable=True, encoding=request.GET.encoding)
    for key, values in request.GET.lists():
        query.setlist(key, values)
    query.primary = channel
    query._mutable = False
    request.GET = cast("Any", query)  # the stubs type GET as Django's immutable subclass


def anonymous_or(user: Any) -> Any:
    return user if user is not None else AnonymousUser()


def open_session(
    *,
    connection_id: str,
    channel: str,
    user: Any,
    gateway: Gateway,
    source_ip: str,
    django_session_hash: str,
    authorization_expires_on: datetime | None = None,
) -> WebSocketSession:
    """Insert the connection's row, or refresh it if this $connect is a repeat."""
    now = timezone.now()
    session = WebSocketSession(
        connection_id=connection_id,
        channel_name=channel,
        user_id=user.pk if user is not None else None,
        api_gateway_id=gateway.pk,
        source_ip=source_ip,
        django_session_hash=django_session_hash,
        session_auth_hash=user.get_session_auth_hash() if user is not None else "",
        authorization_expires_on=authorization_expires_on,
        connected=True,
        request_count=0,
        created_on=now,
        updated_on=now,
    )
    try:
        session.pk = _upsert(session)
    except IntegrityError:
        # The gateway (or user) was deleted by another process after this one
        # cached it: the foreign key refuses the row.
        clear_gateway_cache()
        raise Refused(
            "Unknown API Gateway.", 403, reason="gateway or user deleted during $connect"
        ) from None
    session._state.adding = False
    return session


def _upsert(session: WebSocketSession) -> int:
    """One ``INSERT .. ON CONFLICT DO UPDATE .. RETURNING`` statement; the row's pk.

    ``bulk_create(update_conflicts=True)`` would wrap the same INSERT in
    BEGIN/COMMIT: two more round trips on every $connect.
    """
    connection = connections[router.db_for_write(WebSocketSession)]
    quote = connection.ops.quote_name
    meta = WebSocketSession._meta
    fields = [
        cast("Field[Any, Any]", meta.get_field(name))
        for name in (*_INSERT_ONLY_FIELDS, *_UPSERT_FIELDS)
    ]
    columns = [quote(str(field.column)) for field in fields]
    updates = ", ".join(
        f"{column} = EXCLUDED.{column}" for column in columns[len(_INSERT_ONLY_FIELDS) :]
    )
    sql = (
        f"INSERT INTO {quote(meta.db_table)} ({', '.join(columns)}) "
        f"VALUES ({', '.join(['%s'] * len(columns))}) "
        f"ON CONFLICT ({quote('connection_id')}) DO UPDATE SET {updates} "
        f"RETURNING {quote(str(meta.pk.column))}"
    )
    params = [
        field.get_db_prep_save(getattr(session, field.attname), connection) for field in fields
    ]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        (pk,) = cursor.fetchone()
    return int(pk)
