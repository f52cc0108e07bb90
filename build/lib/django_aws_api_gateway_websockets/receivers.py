"""Signal receivers of the app. ``apps.ready`` imports this module to connect them."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.signals import user_logged_out
from django.dispatch import receiver
from django.http import HttpRequest

from .hashing import sha256_hex
from .messaging import close_connections
from .models import WebSocketSession, WebSocketToken


@receiver(user_logged_out, dispatch_uid="django_aws_api_gateway_websockets.logout")
def close_connections_on_logout(
    sender: object, request: HttpRequest | None = None, **kwargs: Any
) -> None:
    """Logging out closes the connections opened from that Django session.

    Connections record the hash of the session key they were opened with; the
    logged-out session's unused tokens go too, so none can open a new one.
    Django sends this signal before it flushes the session, so the key is
    still there. ``logout()`` called outside a request, or on a session that
    was never saved, has no key: nothing can belong to it.
    """
    session = getattr(request, "session", None)
    session_key = getattr(session, "session_key", None)
    if not session_key:
        return
    session_hash = sha256_hex(session_key)
    close_connections(
        WebSocketSession.objects.filter(django_session_hash=session_hash, connected=True)
    )
    WebSocketToken.objects.filter(django_session_hash=session_hash, used_on__isnull=True).delete()
