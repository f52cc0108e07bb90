from __future__ import annotations

from django.contrib.auth import get_user_model


def user_search_field(prefix: str = "user__") -> str:
    """Search on the user model's own login field, which need not be ``username``."""
    return f"{prefix}{get_user_model().USERNAME_FIELD}"
