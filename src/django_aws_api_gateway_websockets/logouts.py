"""A logout ends every connection of its Django session, whatever a reconnect does meanwhile.

Django sends ``user_logged_out`` before it flushes the session. A page whose
connection the logout closes reconnects at once, and until the flush its token
request and its ``$connect`` still find the session logged in. So the logout
leaves a record (``LoggedOutSession``) that refuses both, and the record and a
``$connect`` are ordered by a lock on the session:

- the logout, holding the lock: records the session, deletes its unused tokens,
  closes its connections;
- ``$connect``, holding the lock: inserts the connection, then refuses (and
  rolls the row back) if the session is recorded.

Whichever takes the lock second sees the other's committed work: either the
logout closes the new connection, or the ``$connect`` sees the record. On
PostgreSQL the lock is a transaction-scoped advisory lock per session; SQLite
lets one writer in at a time, which gives the same order.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from django.db import connections, router, transaction

from .exceptions import Refused
from .hashing import advisory_lock_key
from .messaging import close_connections
from .models import LoggedOutSession, WebSocketSession, WebSocketToken
from .subscriptions import close_sessions


@contextmanager
def session_locked(session_hash: str) -> Iterator[None]:
    """On PostgreSQL, a transaction holding the session's lock until it commits.

    Nothing for no session, and nothing on SQLite: there a logout's transaction
    holds the one write lock from its record to its commit, so an insert comes
    wholly before it (and is closed by it) or after it (and sees the record).
    """
    db = router.db_for_write(WebSocketSession)
    if not session_hash or connections[db].vendor != "postgresql":
        yield
        return
    with transaction.atomic(using=db):
        with connections[db].cursor() as cursor:
            key = advisory_lock_key("logout", session_hash)
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [key])
        yield


def end_session(session_hash: str) -> None:
    """Record the session logged out, delete its unused tokens, close its connections."""
    with transaction.atomic(), session_locked(session_hash):
        LoggedOutSession.objects.bulk_create(
            [LoggedOutSession(django_session_hash=session_hash)], ignore_conflicts=True
        )
        WebSocketToken.objects.filter(
            django_session_hash=session_hash, used_on__isnull=True
        ).delete()
        close_connections(
            WebSocketSession.objects.filter(django_session_hash=session_hash, connected=True),
            reason="logout",
        )


def is_logged_out(session_hash: str) -> bool:
    return bool(session_hash) and (
        LoggedOutSession.objects.filter(django_session_hash=session_hash).exists()
    )


def refuse(reason: str) -> Refused:
    # 401, as for an invalid token: the shipped client sends the page to the login page.
    return Refused("Session ended; log in again.", 401, reason=reason)


def refuse_if_logged_out(session: WebSocketSession) -> None:
    """Close and refuse a connection just opened for a session that was logged out.

    Closed, not only refused: on PostgreSQL the refusal rolls the row back,
    but SQLite has no transaction here to roll back.
    """
    if is_logged_out(session.django_session_hash):
        close_sessions(WebSocketSession.objects.filter(pk=session.pk), reason="logout")
        raise refuse(f"the Django session of connection {session.connection_id} was logged out")
