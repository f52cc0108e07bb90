"""Mail admins about an exception in a handler, at most once per interval per error.

A handler that fails on every message would otherwise send one mail per
message. The throttle lives in Django's cache so that it holds across processes
that share a cache.
"""

from __future__ import annotations

import traceback

from django.core.cache import cache
from django.core.mail import mail_admins
from django.http import HttpRequest

from .conf import conf
from .hashing import sha256_hex

CACHE_PREFIX = "dagw:exception-mail:"


def _qualified(cls: type) -> str:
    return f"{cls.__module__}.{cls.__qualname__}"


def mail_exception(view_class: type, exc: BaseException, request: HttpRequest) -> bool:
    """Mail the admins unless the same view and error type were mailed recently.

    Returns whether a mail went out.
    """
    subject_key = f"{_qualified(view_class)}:{_qualified(type(exc))}"
    # Hashed: cache backends limit key length and characters.
    cache_key = CACHE_PREFIX + sha256_hex(subject_key)
    interval = conf.exception_mail_interval_seconds
    if interval > 0 and not cache.add(cache_key, 1, timeout=interval):
        return False
    details = "".join(traceback.format_exception(exc))
    mail_admins(
        f"WebSocket handler error in {view_class.__qualname__}: {type(exc).__name__}",
        f"Path: {request.path}\n\n{details}",
        fail_silently=True,
    )
    return True
