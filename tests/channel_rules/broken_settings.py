"""tests.settings plus an app whose websocket_channels.py repeats a pattern."""

from tests.settings import *  # noqa: F403
from tests.settings import INSTALLED_APPS

INSTALLED_APPS = [*INSTALLED_APPS, "tests.channel_rules.broken_app"]
