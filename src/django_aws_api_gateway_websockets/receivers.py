"""Signal receivers of the app. ``apps.ready`` imports this module to connect them."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth.signals import user_logged_out
from django.db import router, transaction
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver
from django.http import HttpRequest

from .coalescing import announce_after_commit
from .gateway_auth import clear_gateway_cache
from .hashing import request_session_hash
from .logouts import end_session
from .messaging import close_connections
from .models import ApiGateway, ChannelMembership, WebSocketSession
from .signals import membership_changed
from .subscriptions import PresenceChange


@receiver(user_logged_out, dispatch_uid="django_aws_api_gateway_websockets.logout")
def close_connections_on_logout(
    sender: object, request: HttpRequest | None = None, **kwargs: Any
) -> None:
    """Logging out closes the connections opened from that Django session.

    Connections record the hash of the session key they were opened with.
    Django sends this signal before it flushes the session, so the key is
    still there, and so is the session for a reconnect that comes in before
    the flush: ``logouts`` refuses that one too. ``logout()`` called outside a
    request, or on a session that was never saved, has no key: nothing can
    belong to it.
    """
    session_hash = request_session_hash(request)
    if session_hash:
        end_session(session_hash)


@receiver(
    post_save,
    sender=settings.AUTH_USER_MODEL,
    dispatch_uid="django_aws_api_gateway_websockets.user_deactivated",
)
def close_connections_of_inactive_user(
    sender: object, instance: Any, raw: bool = False, **kwargs: Any
) -> None:
    """Saving a user with ``is_active=False`` closes their connections once it commits.

    Without it, a deactivated user's connections would keep receiving until
    their next message (``check_session_user``). A deactivation that rolls back
    closes nothing. ``QuerySet.update()`` sends no signal: close the
    connections yourself after one.
    """
    if raw or getattr(instance, "is_active", True) or instance.pk is None:
        return
    rows = WebSocketSession.objects.filter(user_id=instance.pk, connected=True)
    db = router.db_for_write(type(instance), instance=instance)
    transaction.on_commit(lambda: close_connections(rows), using=db, robust=True)


@receiver(post_save, sender=ApiGateway, dispatch_uid="django_aws_api_gateway_websockets.saved")
@receiver(post_delete, sender=ApiGateway, dispatch_uid="django_aws_api_gateway_websockets.deleted")
def forget_cached_gateways(**kwargs: Any) -> None:
    """A saved or deleted ``ApiGateway`` may change what its api id names."""
    clear_gateway_cache()


@receiver(
    membership_changed,
    sender=ChannelMembership,
    dispatch_uid="django_aws_api_gateway_websockets.presence",
)
def announce_presence(
    sender: object, changes: list[PresenceChange], using: str, **kwargs: Any
) -> None:
    """Presence channels tell their other members who arrived or left, after the commit."""
    announce_after_commit(changes, using)
