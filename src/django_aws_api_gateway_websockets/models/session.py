"""One row per WebSocket connection that API Gateway holds for us."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import connections, models
from django.utils.translation import gettext_lazy as _

from .gateway import ApiGateway

if TYPE_CHECKING:
    from ..delivery import DeliveryReport
    from ..messaging import Progress
    from ..tasks import SendTaskResult


class WebSocketSessionQuerySet(models.QuerySet["WebSocketSession"]):
    def connected(self) -> WebSocketSessionQuerySet:
        return self.filter(connected=True)

    def in_channel(self, channel_name: str) -> WebSocketSessionQuerySet:
        """Rows whose ``channel_name`` is ``channel_name`` or that subscribed to it; one query.

        The ``channel_name`` half reaches rows made without the view (fixtures,
        ``bulk_create``), which have no membership, as 4.x's ``filter(channel_name=...)`` did.
        """
        from .membership import ChannelMembership  # it imports this module

        members = ChannelMembership.objects.filter(channel_name=channel_name).values("session_id")
        if connections[self.db].vendor == "postgresql":
            # A UNION, not "channel_name = x OR pk IN (...)": PostgreSQL answers an
            # OR with a subquery by scanning every session; this uses the two indexes.
            primary = WebSocketSession.objects.filter(channel_name=channel_name).values("pk")
            return self.filter(pk__in=primary.union(members))
        # SQLite answers the OR from the same two indexes, and sooner than it builds
        # the UNION's temporary table (a third less for 50,000 rows; benchmarks/background.py).
        return self.filter(models.Q(channel_name=channel_name) | models.Q(pk__in=members))

    def send_message(self, data: Any) -> DeliveryReport:
        """Send ``data`` (JSON-encoded) to every connected row of this queryset."""
        from ..messaging import send_to_sessions  # messaging imports models

        return send_to_sessions(self, data)

    def reconcile(
        self, *, dry_run: bool = False, progress: Progress | None = None
    ) -> DeliveryReport:
        """Mark the connected rows of this queryset that API Gateway reports gone closed.

        Sends no message: asks ``GET @connections/{id}`` for each row.
        """
        from ..messaging import reconcile_sessions  # messaging imports models

        return reconcile_sessions(self, dry_run=dry_run, progress=progress)

    def enqueue_message(self, data: Any) -> list[SendTaskResult]:
        """Send ``data`` to every connected row of this queryset from background tasks.

        One task per ``WEBSOCKETS["enqueue_chunk_size"]`` rows; returns their results.
        """
        from ..tasks import enqueue_message  # tasks import models

        return enqueue_message(self, data)


class WebSocketSession(models.Model):
    connection_id = models.CharField(_("connection id"), max_length=128, unique=True)
    channel_name = models.CharField(_("channel"), max_length=100)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="websocket_sessions",
    )
    api_gateway = models.ForeignKey(
        ApiGateway,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="websocket_sessions",
    )
    connected = models.BooleanField(default=True)
    request_count = models.PositiveIntegerField(default=0)
    source_ip = models.GenericIPAddressField(_("source IP"), null=True, blank=True)
    # What is needed to notice, on a later message, that the user logged out
    # (hash of the Django session key) or changed password (session auth hash).
    django_session_hash = models.CharField(max_length=64, blank=True, editable=False)
    session_auth_hash = models.CharField(max_length=128, blank=True, editable=False)
    # The inbound token bucket (docs/security.md, "Inbound limits"): tokens left
    # when last refilled, and when that was, in Unix seconds. A float rather than
    # a DateTimeField, so that one UPDATE can refill the bucket with arithmetic
    # that SQLite and PostgreSQL both spell the same. 0 and 0: a full bucket.
    message_tokens = models.FloatField(default=0, editable=False)
    message_tokens_at = models.FloatField(default=0, editable=False)
    # When the connection's authorization ends: a JWT's exp (docs/authentication.md).
    # A message after it closes the connection; None: it never ends.
    authorization_expires_on = models.DateTimeField(null=True, blank=True, editable=False)
    created_on = models.DateTimeField(auto_now_add=True)
    updated_on = models.DateTimeField(auto_now=True)

    objects = WebSocketSessionQuerySet.as_manager()

    class Meta:
        verbose_name = _("WebSocket session")
        indexes = [
            models.Index(fields=["channel_name", "connected"], name="dagw_session_channel"),
            models.Index(fields=["api_gateway", "connected"], name="dagw_session_gateway"),
            models.Index(fields=["user", "connected"], name="dagw_session_user"),
            models.Index(fields=["django_session_hash"], name="dagw_session_django_session"),
            models.Index(fields=["connected", "updated_on"], name="dagw_session_activity"),
            # The overview's "opened in the last hour" per gateway (overview.py).
            models.Index(fields=["api_gateway", "created_on"], name="dagw_session_opened"),
        ]

    def __str__(self) -> str:
        return f"{self.connection_id} ({self.channel_name})"

    def send_message(self, data: Any) -> DeliveryReport:
        """Send ``data`` (JSON-encoded) to this one connection."""
        from ..messaging import send_to_sessions  # messaging imports models

        return send_to_sessions([self], data)

    def enqueue_message(self, data: Any) -> list[SendTaskResult]:
        """Send ``data`` to this connection from a background task (none if it is closed)."""
        from ..tasks import enqueue_message  # tasks import models

        return enqueue_message(self, data)
